/**
 * Fleet search (issue 15 item 5): the objects of every cluster the caller may see whose name,
 * labels or images match, answered from each cluster's latest inventory snapshot and never from
 * the clusters themselves, with each cluster's freshness. Snapshots are read a few at a time
 * (FLEET_SEARCH_CONCURRENCY) and at most MAX_FLEET_SEARCH_CLUSTERS of them per search.
 */
import { visibleClusters } from '#shared/domain/health/fleet.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import type { Principal } from '#shared/domain/identity/access.ts';
import { byRank, matchObject, type SearchMatch } from '#shared/domain/search/matching.ts';
import type { InventoryDeps } from './ports.ts';
import { inventoryAt } from './snapshot.ts';

export const FLEET_SEARCH_CONCURRENCY = 4;
export const MAX_FLEET_SEARCH_CLUSTERS = 200;

export interface FleetSearchQuery {
  q: string;
  /** Kinds as the inventory names them (`Deployment`); every kind without. */
  kinds?: string[];
  limit: number;
}

export interface FleetHit {
  cluster_id: string;
  cluster_name: string;
  kind: string;
  api_version: string;
  namespace: string | null;
  name: string;
  score: number;
  match: Omit<SearchMatch, 'score'>;
}

export interface ClusterSearched {
  cluster_id: string;
  cluster_name: string;
  /** searched: its snapshot was read; no_snapshot: the inventory has none yet; over_cap: more clusters than one search reads. */
  status: 'searched' | 'no_snapshot' | 'over_cap';
  checked_at: string | null;
  age_seconds: number | null;
  hits: number;
}

/** Runs `work` on each item, at most `concurrency` at once, answers in the items' order. */
async function eachBounded<T, R>(items: T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** GET /api/v1/search: the fleet's matching objects, best first, from the inventory snapshots. */
export async function searchFleet(deps: InventoryDeps, principal: Principal, query: FleetSearchQuery) {
  const now = deps.clock.now();
  const wanted = query.kinds?.length ? new Set(query.kinds.map((k) => k.toLowerCase())) : undefined;
  const clusters = (await visibleClusters(deps.clusters, principal)).sort((a, b) => a.name.localeCompare(b.name));
  const hits: FleetHit[] = [];
  const report = await eachBounded(clusters, FLEET_SEARCH_CONCURRENCY, async (cluster): Promise<ClusterSearched> => {
    const base = { cluster_id: cluster.id, cluster_name: cluster.name };
    if (clusters.indexOf(cluster) >= MAX_FLEET_SEARCH_CLUSTERS) return { ...base, status: 'over_cap', checked_at: null, age_seconds: null, hits: 0 };
    let snapshot;
    try {
      snapshot = await inventoryAt(deps, cluster.id);
    } catch (err) {
      if (err instanceof NotFoundError) return { ...base, status: 'no_snapshot', checked_at: null, age_seconds: null, hits: 0 };
      throw err;
    }
    let found = 0;
    for (const o of snapshot.objects) {
      if (wanted && !wanted.has(o.kind.toLowerCase())) continue;
      const match = matchObject(o, query.q);
      if (!match) continue;
      found++;
      hits.push({
        ...base,
        kind: o.kind,
        api_version: o.api_version,
        namespace: o.namespace,
        name: o.name,
        score: match.score,
        match: { field: match.field, value: match.value },
      });
    }
    // Keep memory bounded by the hits asked for, whatever the fleet holds.
    if (hits.length > query.limit * 4) hits.sort(byRank).splice(query.limit);
    const checkedAt = snapshot.checkedAt;
    return {
      ...base,
      status: 'searched',
      checked_at: checkedAt,
      age_seconds: Math.max(0, Math.round((now.getTime() - Date.parse(checkedAt)) / 1000)),
      hits: found,
    };
  });
  return { query: query.q, items: hits.sort(byRank).slice(0, query.limit), clusters: report };
}
