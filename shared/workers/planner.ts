/**
 * The planner: invoked by a job's schedule (EventBridge Scheduler on AWS, a timer in the local
 * run), it fans the job out to every active cluster, one message each on the job's queue. The run
 * id comes from the firing's scheduled time, so a retried invocation of one firing plans the same
 * run, and the workers' idempotency makes its repeated messages do nothing.
 */
import { InputError } from '#shared/domain/errors.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import { jobMessage, scheduledEvent, type JobMessage } from './messages.ts';

export interface PlannedRun {
  job: string;
  run_id: string;
  /** Messages sent: one per active cluster. */
  clusters: number;
}

/** The run id of a schedule's firing. */
export const runIdOf = (job: string, scheduledAt: string) => `${job}@${new Date(scheduledAt).toISOString()}`;

export async function planRun(event: unknown, deps: Dependencies): Promise<PlannedRun> {
  const parsed = scheduledEvent.safeParse(event);
  if (!parsed.success) throw new InputError(`The planner was invoked with an event that is not a schedule's: ${parsed.error.message}`);
  const { job, scheduled_at } = parsed.data;
  const queue = deps.background.queue(job);
  const runId = runIdOf(job, scheduled_at);
  const plannedAt = deps.clock.now().toISOString();
  const clusterIds = await deps.background.activeClusterIds();
  const messages = clusterIds.map((clusterId) =>
    jobMessage.parse({ version: 1, job, run_id: runId, cluster_id: clusterId, trigger: 'schedule', planned_at: plannedAt } satisfies JobMessage),
  );
  await queue.work.sendBatch(messages.map((m) => JSON.stringify(m)));
  deps.logger.info('planned a run', { job, run_id: runId, clusters: messages.length });
  return { job, run_id: runId, clusters: messages.length };
}
