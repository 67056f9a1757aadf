/**
 * The health views: one cluster's latest result and history, and the fleet's, each for the
 * clusters the caller may see (a `none` override hides a cluster from every fleet view). Every
 * answer says how old its data is: sweeps run on a schedule, so the views never call a cluster.
 */
import type { ClusterRecord } from '#shared/domain/clusters/cluster.ts';
import { listClusters } from '#shared/domain/clusters/registry.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import type { Principal } from '#shared/domain/identity/access.ts';
import { indexKey, pageOf } from '#shared/domain/in-memory-page.ts';
import { timeRange } from '#shared/domain/time-range.ts';
import { daysLeft, type ExpiringItem, type HealthStatus } from './health.ts';
import type { FleetHealthEntry, HealthDeps } from './ports.ts';

/** How old a result is, for the answer to say. */
export const freshness = (checkedAt: string | null, now: Date) => ({
  checked_at: checkedAt,
  age_seconds: checkedAt ? Math.max(0, Math.round((now.getTime() - Date.parse(checkedAt)) / 1000)) : null,
});

export async function clusterHealth(deps: HealthDeps, cluster: ClusterRecord) {
  const latest = await deps.store.latest(cluster.id);
  if (!latest) throw new NotFoundError(`Cluster ${cluster.id} has not been swept yet: POST /clusters/${cluster.id}/sweep to sweep it now.`);
  return { ...latest, freshness: freshness(latest.checked_at, deps.clock.now()) };
}

/** Every cluster the principal may see, all pages of the registry (a fleet is thousands at most). */
export async function visibleClusters(deps: HealthDeps['clusters'], principal: Principal): Promise<ClusterRecord[]> {
  const clusters: ClusterRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await listClusters(deps, principal, {}, 500, cursor);
    clusters.push(...page.items);
    cursor = page.continue;
  } while (cursor);
  return clusters;
}

export interface FleetHealthItem {
  cluster_id: string;
  cluster_name: string;
  active: boolean;
  /** `unknown` until the cluster's first sweep. */
  status: HealthStatus | 'unknown';
  reasons: FleetHealthEntry['reasons'];
  consecutive_failures: number;
  checked_at: string | null;
  age_seconds: number | null;
}

/** GET /fleet/health: every visible cluster's latest result by name, with counts by status over all of them. */
export async function fleetHealth(deps: HealthDeps, principal: Principal, limit: number, cursor?: string) {
  const now = deps.clock.now();
  const [clusters, entries] = await Promise.all([visibleClusters(deps.clusters, principal), deps.store.fleet()]);
  const byId = new Map(entries.map((e) => [e.cluster_id, e]));
  const items: FleetHealthItem[] = clusters.map((c) => {
    const e = byId.get(c.id);
    return {
      cluster_id: c.id,
      cluster_name: c.name,
      active: c.active,
      status: e?.status ?? 'unknown',
      reasons: e?.reasons ?? [],
      consecutive_failures: e?.consecutive_failures ?? 0,
      ...freshness(e?.checked_at ?? null, now),
    };
  });
  const counts = { healthy: 0, degraded: 0, unhealthy: 0, unknown: 0 };
  for (const item of items) counts[item.status]++;
  const checked = items.map((i) => i.checked_at).filter((t): t is string => t !== null);
  checked.sort();
  return {
    ...pageOf(items, limit, cursor, (i) => `${i.cluster_name.toLowerCase()}#${i.cluster_id}`),
    counts,
    freshness: { oldest_checked_at: checked[0] ?? null, newest_checked_at: checked.at(-1) ?? null },
  };
}

export interface FleetExpiringItem extends ExpiringItem {
  cluster_id: string;
  cluster_name: string;
  days_left: number;
  expired: boolean;
  /** When the sweep that saw it ran. */
  checked_at: string;
}

/** GET /fleet/expiring: certificates and credentials of every visible cluster expiring within `withinDays`, soonest first. */
export async function fleetExpiring(deps: HealthDeps, principal: Principal, withinDays: number, limit: number, cursor?: string) {
  const now = deps.clock.now();
  const [clusters, entries] = await Promise.all([visibleClusters(deps.clusters, principal), deps.store.fleet()]);
  const visible = new Map(clusters.map((c) => [c.id, c]));
  const items: FleetExpiringItem[] = [];
  let truncated = false;
  for (const entry of entries) {
    const cluster = visible.get(entry.cluster_id);
    if (!cluster) continue;
    if (entry.expiring_total > entry.expiring.length) truncated = true;
    for (const item of entry.expiring) {
      const left = daysLeft(item.not_after, now);
      if (left > withinDays) continue;
      items.push({ ...item, cluster_id: cluster.id, cluster_name: cluster.name, days_left: left, expired: left < 0, checked_at: entry.checked_at });
    }
  }
  items.sort((a, b) => a.not_after.localeCompare(b.not_after) || a.cluster_id.localeCompare(b.cluster_id) || a.name.localeCompare(b.name));
  const checked = entries.filter((e) => visible.has(e.cluster_id)).map((e) => e.checked_at);
  checked.sort();
  return {
    ...pageOf(items, limit, cursor, indexKey, `within=${withinDays}`),
    /** True when a cluster had more expiring items than a sweep keeps (the soonest are kept). */
    truncated,
    freshness: { oldest_checked_at: checked[0] ?? null, newest_checked_at: checked.at(-1) ?? null },
  };
}

/** GET /clusters/{id}/health/history: the results between `since` and `until` (each unbounded when absent; 30 days are kept), newest first. */
export async function healthHistory(deps: HealthDeps, cluster: ClusterRecord, range: { since?: string; until?: string }, limit: number, cursor?: string) {
  const [since, until] = timeRange(range.since, range.until);
  const page = await deps.store.history(cluster.id, { since, until }, limit, cursor);
  return { ...page, range: { since: range.since ?? null, until: range.until ?? null } };
}
