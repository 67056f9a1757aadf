import { loadConfig } from '#shared/config/config.ts';
import { apiOnFirstRequest } from '#shared/http/lambda-entry.ts';

// /api/v1/audit-log: reading the audit trail.
// A configuration the hub refuses fails the cold start; the group is built on the first request.
loadConfig(process.env);

export const handler = apiOnFirstRequest(async () => {
  const [{ auditGroup }, { awsDependencies }] = await Promise.all([import('#shared/api/audit/routes.ts'), import('#shared/runtime/aws.ts')]);
  const deps = awsDependencies();
  return { groups: [auditGroup(deps)], logger: deps.logger };
});
