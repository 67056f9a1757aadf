import { z } from '@hono/zod-openapi';

/** The `{clusterId}` of a path under /api/v1/clusters/, checked before any lookup: the groups that serve such paths share it. */
export const clusterIdParam = z.object({ clusterId: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'a cluster id') });
