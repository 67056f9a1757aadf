import { z } from '@hono/zod-openapi';

/**
 * One Kubernetes event as the hub shows it: the clusters group's overview lists the latest ones,
 * the resources group's events views extend it with where it came from.
 */
export const clusterEvent = z.object({
  type: z.string().openapi({ description: '`Normal` or `Warning`.' }),
  reason: z.string(),
  message: z.string(),
  namespace: z.string(),
  object: z.object({ kind: z.string(), name: z.string(), namespace: z.string().nullable() }),
  count: z.number().int(),
  first_seen: z.string().nullable(),
  last_seen: z.string().nullable(),
});
