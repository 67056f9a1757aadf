import { awsDependencies } from '#shared/runtime/aws.ts';
import { jobWorker } from '#shared/workers/job-worker.ts';
import { inventory } from '#shared/workers/jobs/inventory.ts';

// The inventory queue's worker: batches from the event source mapping, partial failures reported back.
const deps = awsDependencies();

export const handler = jobWorker('inventory', inventory, deps);
