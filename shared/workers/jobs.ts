/**
 * The job kinds of background work, as data: each has a queue (and dead-letter queue) of the same
 * name, a worker function (functions/workers/<kind>/handler.ts), and a schedule on which the
 * planner fans it out to every active cluster. The CDK stack and the local run both build their
 * queues, workers and schedules from this list, so the two cannot drift apart.
 */
export interface JobDefinition {
  /** What the job does, for the stack's descriptions and GET /queues. */
  description: string;
  /** How often the planner runs it across the fleet: CDK context key `contextKey` in minutes, else `defaultMinutes`. */
  cadence: { contextKey: string; defaultMinutes: number };
  /** The most one message may take; the worker's timeout (the queue's visibility timeout is six times it, as AWS advises for a mapping). */
  timeoutSeconds: number;
  /** Messages handed to one invocation. */
  batchSize: number;
  /** The most invocations at once (the mapping's maximum concurrency, 2-1000): bounds the load on the table and the clusters. */
  maxConcurrency: number;
  /** Deliveries after which a message that keeps failing moves to the dead-letter queue (CDK context `<contextKey>MaxReceives` overrides). */
  maxReceives: number;
}

export const JOBS = {
  'health-sweep': {
    description: 'Sweeps each cluster: reachability, nodes, failing pods and workloads, expiring certificates',
    cadence: { contextKey: 'healthSweepEveryMinutes', defaultMinutes: 3 },
    timeoutSeconds: 60,
    batchSize: 5,
    maxConcurrency: 10,
    maxReceives: 5,
  },
  inventory: {
    description: "Snapshots each cluster's objects and records what changed since the last snapshot",
    cadence: { contextKey: 'inventoryEveryMinutes', defaultMinutes: 15 },
    timeoutSeconds: 300,
    batchSize: 1,
    maxConcurrency: 5,
    maxReceives: 5,
  },
} as const satisfies Record<string, JobDefinition>;

export type JobKind = keyof typeof JOBS;

export const JOB_KINDS = Object.keys(JOBS) as JobKind[];

export function isJobKind(name: string): name is JobKind {
  return Object.hasOwn(JOBS, name);
}

/** The cadence of a job in minutes, from a context lookup (CDK's tryGetContext, or the local run's settings). */
export function cadenceMinutes(kind: JobKind, context: (key: string) => unknown = () => undefined): number {
  const { contextKey, defaultMinutes } = JOBS[kind].cadence;
  const raw = context(contextKey);
  if (raw === undefined || raw === null || raw === '') return defaultMinutes;
  const minutes = Number(raw);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) {
    throw new RangeError(`${contextKey} must be a whole number of minutes from 1 to 1440, got ${JSON.stringify(raw)}`);
  }
  return minutes;
}
