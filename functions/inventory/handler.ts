import { handle } from 'hono/aws-lambda';
import { inventoryGroup } from '#shared/api/inventory/routes.ts';
import { createApi } from '#shared/http/app.ts';
import { awsDependencies } from '#shared/runtime/aws.ts';

// /api/v1/clusters/{id}/inventory, /changes and /api/v1/fleet/images: snapshots from the blob store, never a cluster.
const deps = awsDependencies();

export const handler = handle(createApi([inventoryGroup(deps)], deps.logger));
