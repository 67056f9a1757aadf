import { afterAll, expect, it } from 'vitest';
import type { Queue, QueueMessage } from '#shared/ports/queue.ts';
import { reportMissingBackend } from './backend.ts';

/**
 * Every Queue adapter passes these same assertions (queue.contract.test.ts; against the queues a
 * deployed stack made, data-stack-deploy.test.ts), so workers behave the same on the local run as on
 * SQS. Time is real here (visibility of 1 s) because an emulator cannot be told to skip ahead; the
 * waits are long polls, not sleeps, so a test ends as soon as the behaviour shows.
 */

export interface QueuePair {
  queue: Queue;
  deadLetter: Queue;
}

export interface QueueAdapter {
  name: string;
  /** Why this adapter cannot run here; the suite fails in CI and skips elsewhere. */
  unavailable?: string;
  /**
   * The receives after which its queues dead-letter a message, when the adapter cannot make queues to the
   * contract's options (a deployed stack's queues have the job's own); else the contract's DEFAULT_MAX_RECEIVES.
   */
  maxReceives?: number;
  /**
   * A main queue, empty, whose messages move to `deadLetter` on the receive after `maxReceives` deliveries,
   * and whose own visibility timeout is `visibilitySeconds` or longer.
   */
  make(options: { maxReceives: number; visibilitySeconds: number }): Promise<QueuePair>;
  cleanup(): Promise<void>;
}

/** The queue's own default: long, so only a receive's explicit override lets a message come back soon. */
const defaultVisibility = 30;
export const DEFAULT_MAX_RECEIVES = 2;

/** Receives until `count` messages arrived or `seconds` passed; SQS may hand out fewer per call than it has. */
async function receiveAll(queue: Queue, count: number, seconds: number): Promise<QueueMessage[]> {
  const got: QueueMessage[] = [];
  const deadline = Date.now() + seconds * 1000;
  while (got.length < count && Date.now() < deadline) {
    got.push(...(await queue.receive({ max: 10, waitSeconds: 1, visibilitySeconds: 10 })));
  }
  return got;
}

async function timed<T>(action: Promise<T>): Promise<{ result: T; ms: number }> {
  const start = performance.now();
  const result = await action;
  return { result, ms: performance.now() - start };
}

/** The contract's tests, declared inside the caller's describe. */
export function queueContract(adapter: QueueAdapter): void {
  if (reportMissingBackend(adapter.name, adapter.unavailable)) return;
  const maxReceives = adapter.maxReceives ?? DEFAULT_MAX_RECEIVES;

  const fresh = () => adapter.make({ maxReceives, visibilitySeconds: defaultVisibility });
  afterAll(() => adapter.cleanup());

  it('delivers a sent message once, and an acknowledged one never again', async () => {
    const { queue } = await fresh();
    const id = await queue.send('{"cluster":"alpha"}');

    const [message, ...rest] = await queue.receive({ waitSeconds: 2, visibilitySeconds: 1 });
    expect(rest).toEqual([]);
    expect(message).toMatchObject({ id, body: '{"cluster":"alpha"}', receiveCount: 1 });
    await queue.ack(message!.receipt);

    // Well past the 1 s visibility: an unacknowledged message would be back by now.
    expect(await queue.receive({ waitSeconds: 3 })).toEqual([]);
  });

  it('hides a received message for its visibility timeout, then redelivers it with a higher count', async () => {
    const { queue } = await fresh();
    const id = await queue.send('work');
    const [first] = await queue.receive({ waitSeconds: 2, visibilitySeconds: 1 });

    const hidden = await queue.receive();
    const {
      result: [again],
      ms,
    } = await timed(queue.receive({ waitSeconds: 5, visibilitySeconds: 1 }));

    expect(hidden).toEqual([]);
    expect(again).toMatchObject({ id, body: 'work', receiveCount: 2 });
    expect(again!.receipt).not.toBe(first!.receipt);
    expect(ms).toBeGreaterThan(300);
  });

  it("keeps a message hidden for the queue's own visibility timeout when a receive sets none", async () => {
    const { queue } = await fresh();
    await queue.send('slow work');
    await queue.receive({ waitSeconds: 2 });

    expect(await queue.receive({ waitSeconds: 2 })).toEqual([]);
  });

  it(`moves a message to the dead-letter queue after ${maxReceives} receives`, async () => {
    const { queue, deadLetter } = await fresh();
    const id = await queue.send('poison');
    for (let delivery = 1; delivery <= maxReceives; delivery++) {
      const [message] = await queue.receive({ waitSeconds: 5, visibilitySeconds: 1 });
      expect(message).toMatchObject({ id, receiveCount: delivery });
    }

    // The next receive, once the last delivery's visibility ran out, is what moves it.
    const afterLast = await queue.receive({ waitSeconds: 3, visibilitySeconds: 1 });
    const dead = await deadLetter.receive({ waitSeconds: 2 });

    expect(afterLast).toEqual([]);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ id, body: 'poison' });
  });

  it('returns a long poll as soon as a message arrives', async () => {
    const { queue } = await fresh();

    const polling = timed(queue.receive({ waitSeconds: 10 }));
    await new Promise((resolve) => setTimeout(resolve, 500));
    await queue.send('arrived');
    const { result, ms } = await polling;

    expect(result.map((m) => m.body)).toEqual(['arrived']);
    expect(ms).toBeLessThan(5000);
  });

  it('ends an empty long poll after waitSeconds with no messages', async () => {
    const { queue } = await fresh();

    const { result, ms } = await timed(queue.receive({ waitSeconds: 1 }));

    expect(result).toEqual([]);
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(5000);
  });

  it('holds back a delayed message until its delay has passed', async () => {
    const { queue } = await fresh();
    await queue.send('later', { delaySeconds: 1 });

    const early = await queue.receive();
    const { result: late, ms } = await timed(queue.receive({ waitSeconds: 5 }));

    expect(early).toEqual([]);
    expect(late.map((m) => m.body)).toEqual(['later']);
    expect(ms).toBeGreaterThan(300);
  });

  it('hands out several messages, each once', async () => {
    const { queue } = await fresh();
    const ids = await Promise.all(['a', 'b', 'c'].map((body) => queue.send(body)));

    const got = await receiveAll(queue, 3, 10);

    expect(got.map((m) => m.id).sort()).toEqual([...ids].sort());
    expect(got.map((m) => m.body).sort()).toEqual(['a', 'b', 'c']);
  });
}
