import { loadConfig } from '#shared/config/config.ts';
import { apiOnFirstRequest } from '#shared/http/lambda-entry.ts';

// /api/v1/environments, /app-instances, /services, /configmaps, /secrets, /sync-operations, /promotions: environments
// and what runs in their instances. A configuration the hub refuses fails the cold start; the group is built on the first request.
loadConfig(process.env);

export const handler = apiOnFirstRequest(async () => {
  const [{ environmentsGroup }, { awsDependencies }] = await Promise.all([import('#shared/api/environments/routes.ts'), import('#shared/runtime/aws.ts')]);
  const deps = awsDependencies(process.env);
  return { groups: [environmentsGroup(deps)], logger: deps.logger };
});
