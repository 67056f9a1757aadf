import { loadConfig } from '#shared/config/config.ts';
import { apiOnFirstRequest } from '#shared/http/lambda-entry.ts';

// /api/v1/clusters/*: the registry and live views. The Kubernetes client loads on the first live call only.
// A configuration the hub refuses fails the cold start; the group is built on the first request.
loadConfig(process.env);

export const handler = apiOnFirstRequest(async () => {
  const [{ clustersGroup }, { awsDependencies }] = await Promise.all([import('#shared/api/clusters/routes.ts'), import('#shared/runtime/aws.ts')]);
  const deps = awsDependencies();
  return { groups: [clustersGroup(deps)], logger: deps.logger };
});
