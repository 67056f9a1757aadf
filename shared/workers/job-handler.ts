import type { Dependencies } from '#shared/runtime/dependencies.ts';
import type { JobMessage, JobResult } from './messages.ts';

/**
 * What a job kind implements: the work for one cluster, given a validated message. The worker edge
 * (job-worker.ts) around it parses the message, makes it idempotent, holds the cluster's lease so
 * one cluster never runs the same job twice at once, reports progress on the operation, and maps a
 * thrown error to retry, drop or dead letter by its kind (retry-policy.ts).
 */
export type JobHandler = (message: JobMessage, deps: Dependencies) => Promise<JobResult>;
