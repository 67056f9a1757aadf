import { loadConfig } from '#shared/config/config.ts';
import { apiOnFirstRequest } from '#shared/http/lambda-entry.ts';

// /api/v1/search and /api/v1/clusters/{id}/search|shell|kcli: search and the kubectl-style shell.
// A configuration the hub refuses fails the cold start; the group is built on the first request.
loadConfig(process.env);

export const handler = apiOnFirstRequest(async () => {
  const [{ consoleGroup }, { awsDependencies }] = await Promise.all([import('#shared/api/console/routes.ts'), import('#shared/runtime/aws.ts')]);
  const deps = awsDependencies(process.env);
  return { groups: [consoleGroup(deps)], logger: deps.logger };
});
