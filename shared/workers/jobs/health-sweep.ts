import { sweepClusterHealth } from '#shared/domain/health/sweep.ts';
import type { JobHandler } from '../job-handler.ts';

/**
 * The health-sweep job on one cluster. A cluster that cannot be reached or used is a result the
 * sweep records (unhealthy, one more consecutive failure) and answers as `failed`, never a throw:
 * only the table or a bug makes the message come back.
 */
export const healthSweep: JobHandler = async (message, deps) => {
  const cluster = await deps.clusters.clusters.get(message.cluster_id);
  if (!cluster) return { outcome: 'skipped', detail: 'The cluster is no longer registered.' };
  if (!cluster.active && message.trigger === 'schedule') return { outcome: 'skipped', detail: 'The cluster is inactive.' };
  const record = await sweepClusterHealth(deps.health, cluster);
  const data = { status: record.status, reasons: record.reasons.map((r) => r.code), consecutive_failures: record.consecutive_failures };
  if (record.failure) return { outcome: 'failed', detail: record.reasons[0]?.message ?? 'The cluster could not be swept.', data };
  return { outcome: 'succeeded', detail: `The cluster is ${record.status}.`, data };
};
