import { loadConfig } from '#shared/config/config.ts';
import { apiOnFirstRequest } from '#shared/http/lambda-entry.ts';

// /api/v1/clusters/{id}/topology: the graph of a cluster's objects, read live, and its pictures.
// A configuration the hub refuses fails the cold start; the group is built on the first request.
loadConfig(process.env);

export const handler = apiOnFirstRequest(async () => {
  const [{ topologyGroup }, { awsDependencies }] = await Promise.all([import('#shared/api/topology/routes.ts'), import('#shared/runtime/aws.ts')]);
  const deps = awsDependencies(process.env);
  return { groups: [topologyGroup(deps)], logger: deps.logger };
});
