/**
 * The inventory's views, read from the snapshots and their records, never from a cluster: each
 * answer says when the data was read (`checked_at`: the last time the inventory looked, which for
 * an unchanged cluster is later than its snapshot was taken).
 */
import type { ClusterRecord } from '#shared/domain/clusters/cluster.ts';
import { visibleClusters } from '#shared/domain/health/fleet.ts';
import type { Principal } from '#shared/domain/identity/access.ts';
import { indexKey, pageOf } from '#shared/domain/in-memory-page.ts';
import { timeRange } from '#shared/domain/time-range.ts';
import type { ChangeQuery, InventoryDeps } from './ports.ts';
import { inventoryAt } from './snapshot.ts';

const freshness = (checkedAt: string | null, now: Date) => ({
  checked_at: checkedAt,
  age_seconds: checkedAt ? Math.max(0, Math.round((now.getTime() - Date.parse(checkedAt)) / 1000)) : null,
});

export interface ObjectFilter {
  kind?: string;
  namespace?: string;
}

/** GET /clusters/{id}/inventory: the snapshot at or before `at` (the latest without it), its objects a page at a time. */
export async function clusterInventory(
  deps: InventoryDeps,
  cluster: ClusterRecord,
  at: string | undefined,
  filter: ObjectFilter,
  limit: number,
  cursor?: string,
) {
  const { ref, checkedAt, objects } = await inventoryAt(deps, cluster.id, at);
  const wanted = objects.filter(
    (o) => (filter.kind === undefined || o.kind === filter.kind) && (filter.namespace === undefined || o.namespace === filter.namespace),
  );
  const page = pageOf(wanted, limit, cursor, indexKey, JSON.stringify([ref.taken_at, filter.kind ?? null, filter.namespace ?? null]));
  return {
    cluster_id: cluster.id,
    snapshot: { taken_at: ref.taken_at, object_count: ref.object_count, counts: ref.counts, unreadable: ref.unreadable },
    freshness: freshness(checkedAt, deps.clock.now()),
    ...page,
  };
}

/** GET /clusters/{id}/changes: what changed between `since` and `until` (each unbounded when absent), newest first. */
export async function clusterChanges(deps: InventoryDeps, cluster: ClusterRecord, query: Partial<ChangeQuery>, limit: number, cursor?: string) {
  const now = deps.clock.now();
  const [since, until] = timeRange(query.since, query.until);
  const [page, head] = await Promise.all([
    deps.store.changes(cluster.id, { since, until, kind: query.kind, namespace: query.namespace }, limit, cursor),
    deps.store.head(cluster.id),
  ]);
  return { ...page, range: { since: query.since ?? null, until: query.until ?? null }, freshness: freshness(head?.checked_at ?? null, now) };
}

/**
 * GET /fleet/images: which clusters run an image (by prefix: `nginx` finds `nginx:1.27`), from the
 * image index the inventory keeps, only for clusters the caller may see.
 */
export async function fleetImages(deps: InventoryDeps, principal: Principal, image: string | undefined, limit: number, cursor?: string) {
  const now = deps.clock.now();
  const [visible, page] = await Promise.all([visibleClusters(deps.clusters, principal), deps.store.images(image, limit, cursor)]);
  const clusters = new Map(visible.map((c) => [c.id, c]));
  const uses = page.items.filter((u) => clusters.has(u.cluster_id));
  const heads = new Map(await Promise.all([...new Set(uses.map((u) => u.cluster_id))].map(async (id) => [id, await deps.store.head(id)] as const)));
  return {
    items: uses.map((u) => ({
      image: u.image,
      cluster_id: u.cluster_id,
      cluster_name: clusters.get(u.cluster_id)!.name,
      pods: u.pods,
      workloads: u.workloads,
      workload_count: u.workload_count,
      freshness: freshness(heads.get(u.cluster_id)?.checked_at ?? null, now),
    })),
    ...(page.continue ? { continue: page.continue } : {}),
  };
}
