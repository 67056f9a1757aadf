import { handle } from 'hono/aws-lambda';
import { inventoryGroup } from '#shared/api/inventory/routes.ts';
import { createApi } from '#shared/http/app.ts';
import { awsJobQueues } from '#shared/runtime/aws-job-queues.ts';
import { awsDependencies } from '#shared/runtime/aws.ts';

// /api/v1/clusters/{id}/inventory, /changes and /api/v1/fleet/images: snapshots from the blob store, never a cluster.
// Its POST routes start operations: they send to the job queues, as the operations function reads them.
const deps = awsDependencies(process.env, { jobQueues: awsJobQueues() });

export const handler = handle(createApi([inventoryGroup(deps)], deps.logger));
