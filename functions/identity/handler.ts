import { handle } from 'hono/aws-lambda';
import { groupsNamed } from '#shared/api/catalog.ts';
import { createApi } from '#shared/http/app.ts';
import { awsDependencies } from '#shared/runtime/aws.ts';

// /api/v1/auth/* and /api/v1/users/*: login, tokens, 2FA, API keys, user administration.
const deps = awsDependencies();

export const handler = handle(createApi(groupsNamed(deps, 'identity'), deps.logger));
