import { loadConfig } from '#shared/config/config.ts';
import { apiOnFirstRequest } from '#shared/http/lambda-entry.ts';

// /api/v1/operations/* and /api/v1/queues/*: long work's progress, and the job queues behind it (admin).
// A configuration the hub refuses fails the cold start; the group is built on the first request.
loadConfig(process.env);

export const handler = apiOnFirstRequest(async () => {
  const [{ operationsGroup }, { awsDependencies }, { awsJobQueues }] = await Promise.all([
    import('#shared/api/operations/routes.ts'),
    import('#shared/runtime/aws.ts'),
    import('#shared/runtime/aws-job-queues.ts'),
  ]);
  const deps = awsDependencies(process.env, { jobQueues: awsJobQueues() });
  return { groups: [operationsGroup(deps)], logger: deps.logger };
});
