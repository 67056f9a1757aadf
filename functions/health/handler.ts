import { loadConfig } from '#shared/config/config.ts';
import { apiOnFirstRequest } from '#shared/http/lambda-entry.ts';

// /api/v1/clusters/{id}/health, /sweep and /api/v1/fleet/{health,expiring}: sweep results from the table, never a cluster.
// Its POST routes start operations: they send to the job queues, as the operations function reads them.
// A configuration the hub refuses fails the cold start; the group is built on the first request.
loadConfig(process.env);

export const handler = apiOnFirstRequest(async () => {
  const [{ healthGroup }, { awsDependencies }, { awsJobQueues }] = await Promise.all([
    import('#shared/api/health/routes.ts'),
    import('#shared/runtime/aws.ts'),
    import('#shared/runtime/aws-job-queues.ts'),
  ]);
  const deps = awsDependencies(process.env, { jobQueues: awsJobQueues() });
  return { groups: [healthGroup(deps)], logger: deps.logger };
});
