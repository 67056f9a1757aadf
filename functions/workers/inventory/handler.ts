import { loadConfig } from '#shared/config/config.ts';
import { onFirstCall } from '#shared/runtime/on-first-call.ts';

// The inventory queue's worker: batches from the event source mapping, partial failures reported back.
// A configuration the hub refuses fails the cold start; the worker is wired on the first batch.
loadConfig(process.env);

export const handler = onFirstCall(async () => {
  const [{ awsDependencies }, { awsJobQueues }, { jobWorker }, { inventory }] = await Promise.all([
    import('#shared/runtime/aws.ts'),
    import('#shared/runtime/aws-job-queues.ts'),
    import('#shared/workers/job-worker.ts'),
    import('#shared/workers/jobs/inventory.ts'),
  ]);
  return jobWorker('inventory', inventory, awsDependencies(process.env, { jobQueues: awsJobQueues() }));
});
