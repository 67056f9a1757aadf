import { handle } from 'hono/aws-lambda';
import { identityGroup } from '#shared/api/identity/routes.ts';
import { bootstrapAdmin } from '#shared/domain/identity/bootstrap.ts';
import { createApi } from '#shared/http/app.ts';
import { awsDependencies } from '#shared/runtime/aws.ts';

// /api/v1/auth/* and /api/v1/users/*: login, tokens, 2FA, API keys, user administration.
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

export const handler = handle(createApi([identityGroup(deps)], deps.logger));
