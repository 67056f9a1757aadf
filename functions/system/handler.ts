import { handle } from 'hono/aws-lambda';
import { groupsNamed } from '#shared/api/catalog.ts';
import { createApi } from '#shared/http/app.ts';
import { awsDependencies } from '#shared/runtime/aws.ts';

// Built once per cold start; API Gateway sends /health, /capabilities, the docs and unmatched routes here.
const deps = awsDependencies();

export const handler = handle(createApi(groupsNamed(deps, 'system'), deps.logger));
