import { handle } from 'hono/aws-lambda';
import { clustersGroup } from '#shared/api/clusters/routes.ts';
import { createApi } from '#shared/http/app.ts';
import { awsDependencies } from '#shared/runtime/aws.ts';

// /api/v1/clusters/*: the registry and live views. The Kubernetes client loads on the first live call only.
const deps = awsDependencies();

export const handler = handle(createApi([clustersGroup(deps)], deps.logger));
