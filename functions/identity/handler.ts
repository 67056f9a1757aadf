import { handle } from 'hono/aws-lambda';
import { groupsNamed } from '#shared/api/catalog.ts';
import { bootstrapAdmin } from '#shared/domain/identity/bootstrap.ts';
import { createApi } from '#shared/http/app.ts';
import { awsDependencies } from '#shared/runtime/aws.ts';

// /api/v1/auth/* and /api/v1/users/*: login, tokens, 2FA, API keys, user administration.
const deps = awsDependencies();

// On a fresh table the first admin gets the password the stack generated into Secrets Manager.
const bootstrapSecret = process.env.HUB_BOOTSTRAP_SECRET_ARN;
if (bootstrapSecret) {
  const result = await bootstrapAdmin(deps.identity, () => deps.secrets.get(bootstrapSecret));
  if (result.created) deps.logger.info('created the first admin from the bootstrap secret', { username: 'admin' });
}

export const handler = handle(createApi(groupsNamed(deps, 'identity'), deps.logger));
