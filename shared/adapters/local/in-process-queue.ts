import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '#shared/ports/clock.ts';
import type { Queue, QueueMessage } from '#shared/ports/queue.ts';

export interface InProcessQueueOptions {
  /** Deliveries after which the next receive moves a message to `deadLetter` (SQS's maxReceiveCount). */
  maxReceives: number;
  /** Default visibility timeout of a delivery, as set on an SQS queue. */
  visibilitySeconds: number;
  /** Visibility and delays read this clock, so a test can move time instead of sleeping. */
  clock?: Clock;
  /** Without one, like an SQS queue without a redrive policy, a message comes back forever. */
  deadLetter?: InProcessQueue;
}

interface StoredMessage {
  id: string;
  body: string;
  receiveCount: number;
  /** Epoch ms (by the clock) from which the message can be delivered. */
  visibleAt: number;
  /** The receipt of the latest delivery; only it can acknowledge. */
  receipt?: string;
}

/**
 * The queue of the one-command local run, with SQS's semantics in memory:
 * at-least-once delivery, a visibility timeout after which an unacknowledged
 * message comes back, and a move to the dead-letter queue on the receive after
 * `maxReceives` deliveries (SQS moves it at that moment too, not earlier).
 * A long poll sleeps on timers and wakes on a send, never spinning. The long
 * poll's own length is a timer (fake timers advance it); everything about a
 * message's visibility reads the Clock.
 */
export class InProcessQueue implements Queue {
  private readonly messages = new Map<string, StoredMessage>();
  private readonly waiters = new Set<() => void>();
  private readonly maxReceives: number;
  private readonly visibilitySeconds: number;
  private readonly clock: Clock;
  private readonly deadLetter: InProcessQueue | undefined;

  /** Limits are SQS's, so code that works here does not fail on a real queue. */
  constructor(options: InProcessQueueOptions) {
    this.maxReceives = checkRange('maxReceives', options.maxReceives, 1, 1000);
    this.visibilitySeconds = checkRange('visibilitySeconds', options.visibilitySeconds, 0, 43_200);
    this.clock = options.clock ?? systemClock;
    this.deadLetter = options.deadLetter;
  }

  /** Enqueues a message, invisible for `delaySeconds` (0-900); returns its id. */
  async send(body: string, options: { delaySeconds?: number } = {}): Promise<string> {
    const delay = checkRange('delaySeconds', options.delaySeconds ?? 0, 0, 900);
    const id = randomUUID();
    this.enqueue({ id, body, receiveCount: 0, visibleAt: this.now() + delay * 1000 });
    return id;
  }

  async sendBatch(bodies: string[]): Promise<void> {
    for (const body of bodies) await this.send(body);
  }

  async counts(): Promise<{ waiting: number; inFlight: number }> {
    const now = this.now();
    let waiting = 0;
    let inFlight = 0;
    for (const message of this.messages.values()) {
      if (message.visibleAt <= now) waiting += 1;
      else if (message.receipt) inFlight += 1;
      else waiting += 1; // delayed, as SQS counts them apart; close enough for a local run
    }
    return { waiting, inFlight };
  }

  /** Delivers up to `max` (1-10) visible messages, waiting up to `waitSeconds` (0-20) for the first. */
  async receive(options: { max?: number; waitSeconds?: number; visibilitySeconds?: number } = {}): Promise<QueueMessage[]> {
    const max = checkRange('max', options.max ?? 1, 1, 10);
    const waitSeconds = checkRange('waitSeconds', options.waitSeconds ?? 0, 0, 20);
    const visibility = checkRange('visibilitySeconds', options.visibilitySeconds ?? this.visibilitySeconds, 0, 43_200);

    let timedOut = waitSeconds === 0;
    let wakeWaiting: (() => void) | undefined;
    const deadline = timedOut
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          wakeWaiting?.();
        }, waitSeconds * 1000);
    try {
      for (;;) {
        const delivered = this.take(max, visibility);
        if (delivered.length > 0 || timedOut) return delivered;
        // Sleep until a send, the next message turning visible, or the end of the poll.
        await new Promise<void>((resolve) => {
          let visibleTimer: NodeJS.Timeout | undefined;
          const wake = () => {
            clearTimeout(visibleTimer);
            this.waiters.delete(wake);
            wakeWaiting = undefined;
            resolve();
          };
          const next = this.nextVisibleInMs();
          // At least 10 ms: a clock a test holds still must not turn this into a spin.
          if (next !== undefined) visibleTimer = setTimeout(wake, Math.max(next, 10));
          wakeWaiting = wake;
          this.waiters.add(wake);
        });
      }
    } finally {
      clearTimeout(deadline);
    }
  }

  /** Deletes the message of this delivery; a stale or unknown receipt changes nothing. */
  async ack(receipt: string): Promise<void> {
    const id = receipt.slice(0, receipt.indexOf('#'));
    const message = this.messages.get(id);
    if (message?.receipt === receipt) this.messages.delete(id);
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  private enqueue(message: StoredMessage): void {
    this.messages.set(message.id, message);
    for (const wake of [...this.waiters]) wake();
  }

  private take(max: number, visibilitySeconds: number): QueueMessage[] {
    const now = this.now();
    const delivered: QueueMessage[] = [];
    for (const message of this.messages.values()) {
      if (delivered.length >= max) break;
      if (message.visibleAt > now) continue;
      if (this.deadLetter && message.receiveCount >= this.maxReceives) {
        // Same id and count as SQS keeps them, so the DLQ shows how often it failed.
        this.messages.delete(message.id);
        this.deadLetter.enqueue({ id: message.id, body: message.body, receiveCount: message.receiveCount, visibleAt: now });
        continue;
      }
      message.receiveCount += 1;
      message.receipt = `${message.id}#${randomUUID()}`;
      message.visibleAt = now + visibilitySeconds * 1000;
      delivered.push({ id: message.id, body: message.body, receiveCount: message.receiveCount, receipt: message.receipt });
    }
    return delivered;
  }

  private nextVisibleInMs(): number | undefined {
    const now = this.now();
    let next: number | undefined;
    for (const message of this.messages.values()) {
      if (message.visibleAt > now && (next === undefined || message.visibleAt < next)) next = message.visibleAt;
    }
    return next === undefined ? undefined : next - now;
  }
}

function checkRange(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}
