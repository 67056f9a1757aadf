import { loadConfig } from '#shared/config/config.ts';
import { apiOnFirstRequest } from '#shared/http/lambda-entry.ts';

// /api/v1/clusters/{id}/inventory, /changes and /api/v1/fleet/images: snapshots from the blob store, never a cluster.
// Its POST routes start operations: they send to the job queues, as the operations function reads them.
// A configuration the hub refuses fails the cold start; the group is built on the first request.
loadConfig(process.env);

export const handler = apiOnFirstRequest(async () => {
  const [{ inventoryGroup }, { awsDependencies }, { awsJobQueues }] = await Promise.all([
    import('#shared/api/inventory/routes.ts'),
    import('#shared/runtime/aws.ts'),
    import('#shared/runtime/aws-job-queues.ts'),
  ]);
  const deps = awsDependencies(process.env, { jobQueues: awsJobQueues() });
  return { groups: [inventoryGroup(deps)], logger: deps.logger };
});
