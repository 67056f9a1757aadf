import { handle } from 'hono/aws-lambda';
import { topologyGroup } from '#shared/api/topology/routes.ts';
import { createApi } from '#shared/http/app.ts';
import { awsDependencies } from '#shared/runtime/aws.ts';

// /api/v1/clusters/{id}/topology: the graph of a cluster's objects, read live, and its pictures.
const deps = awsDependencies();

export const handler = handle(createApi([topologyGroup(deps)], deps.logger));
