import type { OperationStore } from '#shared/domain/operations/operation.ts';
import type { Queue } from '#shared/ports/queue.ts';

/** How a job's queue looks to the people who run the hub (GET /queues). */
export interface QueueStats {
  /** Messages waiting to be taken. */
  depth: number;
  /** Messages a worker holds right now. */
  inFlight: number;
  /** Messages in the dead-letter queue. */
  deadLettered: number;
  /** Whether the worker stopped taking messages (they wait). */
  paused: boolean;
}

/** One job kind's queue, its dead-letter queue and the switch that lets its worker take messages. */
export interface JobQueue {
  kind: string;
  work: Queue;
  deadLetters: Queue;
  /**
   * The deliveries after which the queue's redrive policy moves a message to `deadLetters`: the
   * worker's last attempt at a message, which records its failure on the operation before giving
   * up. Unknown (undefined) where the queue's settings do not say it.
   */
  maxReceives?: number;
  stats(): Promise<QueueStats>;
  /** The worker stops taking messages (on AWS, its event source mapping is disabled); they wait. */
  pause(): Promise<void>;
  resume(): Promise<void>;
}

/** A cluster's claim on running one job, held while the job runs and expiring on its own if the worker dies. */
export interface Lease {
  clusterId: string;
  kind: string;
  holder: string;
}

export interface LeaseStore {
  /** The lease for `seconds` (the job's timeout), or undefined when another holder has it and it has not expired. */
  acquire(clusterId: string, kind: string, holder: string, seconds?: number): Promise<Lease | undefined>;
  /** Gives the lease up, if still held by its holder. */
  release(lease: Lease): Promise<void>;
}

/** What the planner, the workers and the operations API share. */
export interface BackgroundDeps {
  /** The queue of a job kind; throws for a kind the hub does not run. */
  queue(kind: string): JobQueue;
  /** Every job kind's queue, in the order of JOBS. */
  queues(): JobQueue[];
  /** The ids of every active cluster (a Query, never a Scan): the planner's fan-out. */
  activeClusterIds(): Promise<string[]>;
  operations: OperationStore;
  leases: LeaseStore;
}
