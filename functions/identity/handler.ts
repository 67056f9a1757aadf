import { loadConfig } from '#shared/config/config.ts';
import { apiOnFirstRequest } from '#shared/http/lambda-entry.ts';

// /api/v1/auth/* and /api/v1/users/*: login, tokens, 2FA, API keys, user administration.
// A configuration the hub refuses fails the cold start; the group is built on the first request.
loadConfig(process.env);

export const handler = apiOnFirstRequest(async () => {
  const [{ identityGroup }, { bootstrapAdmin }, { awsDependencies }] = await Promise.all([
    import('#shared/api/identity/routes.ts'),
    import('#shared/domain/identity/bootstrap.ts'),
    import('#shared/runtime/aws.ts'),
  ]);
  const deps = awsDependencies();
  // On a fresh table the first admin gets the password the stack generated into Secrets Manager
  // (HUB_BOOTSTRAP_SECRET_ARN), never one nobody would see.
  const bootstrap = deps.identity.bootstrapPassword;
  if (bootstrap) {
    const result = await bootstrapAdmin(deps.identity, () => bootstrap.read(), { generate: false });
    if (result.created) deps.logger.info('created the first admin from the bootstrap secret', { username: 'admin' });
    if (!result.created && result.reason === 'no-password') {
      deps.logger.error('the table has no user and the bootstrap secret is gone: nobody can log in', { bootstrap: bootstrap.name });
    }
  }
  return { groups: [identityGroup(deps)], logger: deps.logger };
});
