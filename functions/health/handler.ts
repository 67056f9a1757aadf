import { handle } from 'hono/aws-lambda';
import { healthGroup } from '#shared/api/health/routes.ts';
import { createApi } from '#shared/http/app.ts';
import { awsDependencies } from '#shared/runtime/aws.ts';

// /api/v1/clusters/{id}/health, /sweep and /api/v1/fleet/{health,expiring}: sweep results from the table, never a cluster.
const deps = awsDependencies();

export const handler = handle(createApi([healthGroup(deps)], deps.logger));
