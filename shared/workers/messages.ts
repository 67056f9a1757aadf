/**
 * The schemas of background work's messages, the contract between the planner, the API (which
 * starts operations) and the workers. Sample payloads of each: events/scheduler/ and events/sqs/.
 * A message's fields are snake_case like the API's, since people read them in DLQs and logs.
 */
import { z } from 'zod';

/** A job kind's name, which is also its queue's and its schedule's: lower-case words joined by hyphens. */
export const JOB_KIND_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
export const jobKindName = z.string().max(40).regex(JOB_KIND_PATTERN, 'lower-case words joined by hyphens');

/**
 * What EventBridge Scheduler sends the planner: the schedule's input, with the firing's time and
 * execution id filled in by the Scheduler (`<aws.scheduler.scheduled-time>`, `<aws.scheduler.execution-id>`).
 * A retried invocation of the same firing carries the same scheduled time, hence the same run id.
 */
export const scheduledEvent = z.strictObject({
  job: jobKindName,
  scheduled_at: z.iso.datetime({ offset: true }),
  execution_id: z.string().max(128).optional(),
});
export type ScheduledEvent = z.infer<typeof scheduledEvent>;

/**
 * One unit of work: one job on one cluster, for one run. The run is a schedule's firing (the
 * planner's run id) or an operation a user started (its id); the idempotency key of the work is
 * `run_id` + `cluster_id` + `job`, so a message delivered twice has its effect once.
 */
export const jobMessage = z.strictObject({
  version: z.literal(1),
  job: jobKindName,
  run_id: z.string().min(1).max(128),
  cluster_id: z.string().min(1).max(64),
  trigger: z.enum(['schedule', 'operation']),
  /** Set when a user started the work: the worker reports its progress on this operation. */
  operation_id: z.string().min(1).max(64).optional(),
  planned_at: z.iso.datetime({ offset: true }),
});
export type JobMessage = z.infer<typeof jobMessage>;

/**
 * What a job handler answers for one cluster. A cluster that cannot be reached is a result
 * (`failed`, with the reason in `detail`), not an error: throwing is for what a retry may fix
 * (an AppError of a retried kind) or a bug (any other error: retried, then dead-lettered).
 */
export const jobResult = z.strictObject({
  outcome: z.enum(['succeeded', 'failed', 'skipped']),
  /** One sentence for people (operations, logs); never a credential (pass cluster errors through shownFailureText). */
  detail: z.string().max(500).optional(),
  /** A small summary for the operation's progress (counts, a status); the job's full output lives in its own records. */
  data: z.record(z.string(), z.unknown()).optional(),
});
export type JobResult = z.infer<typeof jobResult>;
