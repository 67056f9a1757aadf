import { z } from '@hono/zod-openapi';
import { EXPIRY_KINDS, HEALTH_STATUSES } from '#shared/domain/health/health.ts';
import { freshness, isoTime } from '#shared/http/time-schemas.ts';

const reason = z.object({ code: z.string().openapi({ example: 'pods_failing' }), message: z.string() }).openapi('HealthReason');
const example = z.object({ kind: z.string(), namespace: z.string(), name: z.string(), reason: z.string() });

export const expiringItem = z
  .object({
    kind: z.enum(EXPIRY_KINDS),
    namespace: z.string().nullable(),
    name: z.string(),
    subject: z.string().nullable(),
    not_after: z.string(),
  })
  .openapi('ExpiringItem');

const fleetFreshness = z.object({ oldest_checked_at: z.string().nullable(), newest_checked_at: z.string().nullable() }).openapi('FleetFreshness');

export const healthRecord = z
  .object({
    cluster_id: z.string(),
    cluster_name: z.string(),
    checked_at: z.string(),
    status: z.enum(HEALTH_STATUSES),
    reasons: z.array(reason),
    consecutive_failures: z.number().int().openapi({ description: 'Sweeps in a row that could not reach or use the cluster.' }),
    transition: z.object({ from: z.enum(HEALTH_STATUSES).nullable(), to: z.enum(HEALTH_STATUSES), at: z.string() }).nullable(),
    reachable: z.boolean(),
    failure: z.object({ reason: z.string(), message: z.string() }).optional(),
    latency_ms: z.number().int().nullable(),
    version: z.string().nullable(),
    nodes: z.object({ total: z.number().int(), ready: z.number().int(), not_ready: z.number().int(), not_ready_names: z.array(z.string()) }).nullable(),
    pods: z
      .object({
        total: z.number().int(),
        crash_loop_back_off: z.number().int(),
        image_pull_back_off: z.number().int(),
        pending_too_long: z.number().int(),
        restarted_last_hour: z.number().int(),
        examples: z.array(example),
      })
      .nullable(),
    workloads: z
      .object({
        total: z.number().int(),
        unavailable: z.number().int(),
        examples: z.array(example.extend({ desired: z.number().int(), available: z.number().int() })),
      })
      .nullable(),
    expiring: z.array(expiringItem),
    expiring_total: z.number().int(),
    unreadable: z.array(z.string()),
  })
  .openapi('HealthResult');

export const latestHealth = healthRecord.extend({ freshness }).openapi('ClusterHealth');

export const historyQuery = z.object({
  since: isoTime.optional().openapi({ description: 'Results at or after this time (default: 30 days ago, as long as they are kept).' }),
  until: isoTime.optional().openapi({ description: 'Results at or before this time (default: now).' }),
});

export const history = z
  .object({
    items: z.array(healthRecord),
    range: z.object({ since: z.string().nullable(), until: z.string().nullable() }).openapi({ description: 'The bounds asked for; null when unbounded.' }),
    metadata: z.object({ continue: z.string().optional() }),
  })
  .openapi('HealthHistory');

export const fleetHealth = z
  .object({
    items: z.array(
      z.object({
        cluster_id: z.string(),
        cluster_name: z.string(),
        active: z.boolean(),
        status: z.enum([...HEALTH_STATUSES, 'unknown']),
        reasons: z.array(reason),
        consecutive_failures: z.number().int(),
        checked_at: z.string().nullable(),
        age_seconds: z.number().int().nullable(),
      }),
    ),
    counts: z.object({ healthy: z.number().int(), degraded: z.number().int(), unhealthy: z.number().int(), unknown: z.number().int() }),
    freshness: fleetFreshness,
    metadata: z.object({ continue: z.string().optional() }),
  })
  .openapi('FleetHealth');

export const expiringQuery = z.object({
  within_days: z.coerce
    .number()
    .int()
    .min(0)
    .max(90)
    .default(30)
    .openapi({ description: 'Expiring within this many days (0-90); expired ones are always in.' }),
});

export const fleetExpiring = z
  .object({
    items: z.array(
      expiringItem.extend({
        cluster_id: z.string(),
        cluster_name: z.string(),
        days_left: z.number().int(),
        expired: z.boolean(),
        checked_at: z.string(),
      }),
    ),
    truncated: z.boolean().openapi({ description: 'A cluster had more expiring items than a sweep keeps (100, the soonest).' }),
    freshness: fleetFreshness,
    metadata: z.object({ continue: z.string().optional() }),
  })
  .openapi('FleetExpiring');
