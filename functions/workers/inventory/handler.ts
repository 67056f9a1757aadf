import { awsJobQueues } from '#shared/runtime/aws-job-queues.ts';
import { awsDependencies } from '#shared/runtime/aws.ts';
import { jobWorker } from '#shared/workers/job-worker.ts';
import { inventory } from '#shared/workers/jobs/inventory.ts';

// The inventory queue's worker: batches from the event source mapping, partial failures reported back.
const deps = awsDependencies(process.env, { jobQueues: awsJobQueues() });

export const handler = jobWorker('inventory', inventory, deps);
