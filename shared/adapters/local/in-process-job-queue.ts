import type { JobQueue, QueueStats } from '#shared/workers/background.ts';
import { InProcessQueue } from './in-process-queue.ts';

/**
 * A job's queue in the local run: an in-process queue with its dead-letter queue, and a switch the
 * in-process worker (QueuePoller) reads before each receive, as the event source mapping's state.
 */
export class InProcessJobQueue implements JobQueue {
  readonly work: InProcessQueue;
  readonly deadLetters: InProcessQueue;
  readonly maxReceives: number;
  private isPaused = false;

  constructor(
    readonly kind: string,
    options: { maxReceives: number; visibilitySeconds: number },
  ) {
    this.maxReceives = options.maxReceives;
    this.deadLetters = new InProcessQueue({ maxReceives: options.maxReceives, visibilitySeconds: options.visibilitySeconds });
    this.work = new InProcessQueue({ ...options, deadLetter: this.deadLetters });
  }

  /** For the poller: whether to take messages now. */
  get paused(): boolean {
    return this.isPaused;
  }

  async stats(): Promise<QueueStats> {
    const [work, dead] = await Promise.all([this.work.counts(), this.deadLetters.counts()]);
    return { depth: work.waiting, inFlight: work.inFlight, deadLettered: dead.waiting + dead.inFlight, paused: this.isPaused };
  }

  async pause(): Promise<void> {
    this.isPaused = true;
  }

  async resume(): Promise<void> {
    this.isPaused = false;
  }
}
