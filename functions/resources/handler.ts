import { loadConfig } from '#shared/config/config.ts';
import { apiOnFirstRequest } from '#shared/http/lambda-entry.ts';

// /api/v1/clusters/{id}/resources|apply|crd-instances: objects of any kind on a registered cluster.
// A configuration the hub refuses fails the cold start; the group is built on the first request.
loadConfig(process.env);

export const handler = apiOnFirstRequest(async () => {
  const [{ resourcesGroup }, { awsDependencies }] = await Promise.all([import('#shared/api/resources/routes.ts'), import('#shared/runtime/aws.ts')]);
  const deps = awsDependencies();
  return { groups: [resourcesGroup(deps)], logger: deps.logger };
});
