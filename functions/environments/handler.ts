import { handle } from 'hono/aws-lambda';
import { environmentsGroup } from '#shared/api/environments/routes.ts';
import { createApi } from '#shared/http/app.ts';
import { awsDependencies } from '#shared/runtime/aws.ts';

// /api/v1/environments, /app-instances, /services, /configmaps, /secrets: environments and what runs in their instances.
const deps = awsDependencies();

export const handler = handle(createApi([environmentsGroup(deps)], deps.logger));
