import { CLUSTER_STATUSES } from '#shared/domain/clusters/cluster.ts';
import type { CircuitBreaker, ClusterRepository } from '#shared/domain/clusters/ports.ts';
import type { UserRepository } from '#shared/domain/identity/ports.ts';
import type { HubInventory } from '#shared/observability/metrics.ts';

export interface InventorySources {
  clusters: ClusterRepository;
  breaker: CircuitBreaker;
  users: Pick<UserRepository, 'list'>;
  now: Date;
}

export interface InventoryBounds {
  pageSize: number;
  /** Pages read per list and scrape; past it the counts say they are truncated. */
  maxPages: number;
  /** Circuit states read at once (one GetItem each: circuits have no list of their own). */
  concurrency: number;
}

/** Up to 500 clusters and 500 users a scrape: a few queries, never a scan. */
export const defaultInventoryBounds: InventoryBounds = { pageSize: 100, maxPages: 5, concurrency: 25 };

/** Counts clusters (by status, inactive, circuit open) and users from their list partitions, bounded. */
export async function countInventory(sources: InventorySources, bounds = defaultInventoryBounds): Promise<HubInventory> {
  const [clusters, users] = await Promise.all([
    readBounded((limit, cursor) => sources.clusters.list({}, limit, cursor), bounds),
    readBounded((limit, cursor) => sources.users.list(limit, cursor), bounds),
  ]);
  const clustersByStatus: Record<string, number> = Object.fromEntries(CLUSTER_STATUSES.map((s) => [s, 0]));
  for (const c of clusters.items) clustersByStatus[c.status] = (clustersByStatus[c.status] ?? 0) + 1;
  const now = sources.now.getTime();
  let circuitOpen = 0;
  for (let i = 0; i < clusters.items.length; i += bounds.concurrency) {
    const states = await Promise.all(clusters.items.slice(i, i + bounds.concurrency).map((c) => sources.breaker.state(c.id)));
    circuitOpen += states.filter((s) => s.openUntil !== undefined && s.openUntil > now).length;
  }
  return {
    clustersByStatus,
    clustersInactive: clusters.items.filter((c) => !c.active).length,
    clustersCircuitOpen: circuitOpen,
    clustersTruncated: clusters.truncated,
    users: users.items.length,
    usersTruncated: users.truncated,
  };
}

async function readBounded<T>(page: (limit: number, cursor?: string) => Promise<{ items: T[]; continue?: string }>, bounds: InventoryBounds) {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < bounds.maxPages; n++) {
    const out = await page(bounds.pageSize, cursor);
    items.push(...out.items);
    cursor = out.continue;
    if (!cursor) return { items, truncated: false };
  }
  // A full page carries a continue token even when nothing follows: look one item further.
  const next = await page(1, cursor);
  return { items, truncated: next.items.length > 0 };
}
