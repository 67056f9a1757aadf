import { handle } from 'hono/aws-lambda';
import { resourcesGroup } from '#shared/api/resources/routes.ts';
import { createApi } from '#shared/http/app.ts';
import { awsDependencies } from '#shared/runtime/aws.ts';

// /api/v1/clusters/{id}/resources|apply|crd-instances: objects of any kind on a registered cluster.
const deps = awsDependencies();

export const handler = handle(createApi([resourcesGroup(deps)], deps.logger));
