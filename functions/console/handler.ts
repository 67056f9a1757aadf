import { handle } from 'hono/aws-lambda';
import { consoleGroup } from '#shared/api/console/routes.ts';
import { createApi } from '#shared/http/app.ts';
import { awsDependencies } from '#shared/runtime/aws.ts';

// /api/v1/search and /api/v1/clusters/{id}/search|shell|kcli: search and the kubectl-style shell.
const deps = awsDependencies();

export const handler = handle(createApi([consoleGroup(deps)], deps.logger));
