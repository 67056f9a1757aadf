import type { Queue } from '#shared/ports/queue.ts';

/** The most messages one request moves or drops; the answer says whether more are left. */
export const DEAD_LETTER_BATCH_LIMIT = 1000;
/** How long a dead letter being moved stays invisible: one that fails to move comes back after it. */
const HOLD_SECONDS = 60;

export interface DeadLetterOutcome {
  /** Messages moved back (redrive) or deleted (drop). */
  count: number;
  /** Whether the limit stopped it with messages left. */
  more: boolean;
}

/**
 * Sends dead letters back to their queue, each deleted from the dead-letter queue only once it is
 * sent, so a failure midway loses none (one may be sent twice: the workers are idempotent).
 */
export async function redrive(deadLetters: Queue, to: Queue, limit = DEAD_LETTER_BATCH_LIMIT): Promise<DeadLetterOutcome> {
  return drain(deadLetters, limit, async (messages) => {
    await to.sendBatch(messages.map((m) => m.body));
  });
}

/** Deletes dead letters, counting them (for the audit entry). */
export async function dropDeadLetters(deadLetters: Queue, limit = DEAD_LETTER_BATCH_LIMIT): Promise<DeadLetterOutcome> {
  return drain(deadLetters, limit, async () => {});
}

async function drain(queue: Queue, limit: number, handle: (messages: { body: string }[]) => Promise<void>): Promise<DeadLetterOutcome> {
  let count = 0;
  while (count < limit) {
    const messages = await queue.receive({ max: Math.min(10, limit - count), waitSeconds: 0, visibilitySeconds: HOLD_SECONDS });
    if (messages.length === 0) return { count, more: false };
    await handle(messages);
    await Promise.all(messages.map((m) => queue.ack(m.receipt)));
    count += messages.length;
  }
  const left = await queue.counts();
  return { count, more: left.waiting > 0 };
}
