import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { HubEvent } from '#shared/ports/hub-events.ts';
import { HEALTH_STATUSES, type HealthRecord } from './health.ts';

export const CLUSTER_HEALTH_CHANGED = 'cluster.health.changed';

/** The hub event a sweep publishes when a cluster's status changes (sample: events/hub/cluster-health-changed.json). */
export const clusterHealthChangedEvent = z.object({
  type: z.literal(CLUSTER_HEALTH_CHANGED),
  id: z.string().uuid(),
  at: z.string().datetime(),
  cluster_id: z.string().min(1),
  detail: z.object({
    cluster_name: z.string(),
    from: z.enum(HEALTH_STATUSES).nullable(),
    to: z.enum(HEALTH_STATUSES),
    reasons: z.array(z.object({ code: z.string(), message: z.string() })),
    consecutive_failures: z.number().int().min(0),
  }),
});
export type ClusterHealthChangedEvent = z.infer<typeof clusterHealthChangedEvent>;

export function clusterHealthChanged(record: HealthRecord): HubEvent {
  return clusterHealthChangedEvent.parse({
    type: CLUSTER_HEALTH_CHANGED,
    id: randomUUID(),
    at: record.checked_at,
    cluster_id: record.cluster_id,
    detail: {
      cluster_name: record.cluster_name,
      from: record.transition?.from ?? null,
      to: record.status,
      reasons: record.reasons,
      consecutive_failures: record.consecutive_failures,
    },
  });
}
