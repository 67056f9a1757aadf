import { loadConfig } from '#shared/config/config.ts';
import { onFirstCall } from '#shared/runtime/on-first-call.ts';

// Invoked by each job's EventBridge Scheduler schedule: one message per active cluster on that job's queue.
// A configuration the hub refuses fails the cold start; the planner is wired on its first run.
loadConfig(process.env);

export const handler = onFirstCall(async () => {
  const [{ awsDependencies }, { awsJobQueues }, { planRun }] = await Promise.all([
    import('#shared/runtime/aws.ts'),
    import('#shared/runtime/aws-job-queues.ts'),
    import('#shared/workers/planner.ts'),
  ]);
  const deps = awsDependencies(process.env, { jobQueues: awsJobQueues() });
  return (event: unknown) => planRun(event, deps);
});
