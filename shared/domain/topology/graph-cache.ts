/**
 * Built graphs kept a few seconds (HUB_TOPOLOGY_CACHE_SECONDS) in the table, so that every
 * instance of the function answers a repeated request without reading the cluster again. A
 * graph depends on who asks when the cluster impersonates (its RBAC decides what is listed):
 * then the view's key holds the identity the hub acts as, and one caller never gets another's
 * graph; otherwise it is the cluster's credential's view, the same for every caller. A graph
 * whose gzip would not fit an item is not cached; force_refresh reads the cluster anyway.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { actingFor, type Caller } from '#shared/domain/resources/cluster-session.ts';
import type { TopologyGraph } from './model.ts';
import type { TopologyDeps } from './ports.ts';

/** Below DynamoDB's 400 KB item limit, with room for the keys and attributes. */
export const MAX_CACHED_BYTES = 380_000;

export interface BuiltGraph {
  graph: TopologyGraph;
  cached: boolean;
  builtAt: string;
}

/** The view's key: a digest, so that no identity or namespace is readable in the table's keys. */
export function viewKey(caller: Caller, scope: { namespace?: string; kinds?: string[] }): string {
  const acting = actingFor(caller);
  const identity = acting ? JSON.stringify(acting) : '*';
  const kinds = scope.kinds ? [...scope.kinds].sort().join(',') : '*';
  return createHash('sha256')
    .update(JSON.stringify([scope.namespace ?? '*', kinds, identity]))
    .digest('base64url')
    .slice(0, 43);
}

/** The graph of the scope: from the cache while it is fresh (unless refresh), else built by `build` and kept. */
export async function cachedGraph(
  deps: TopologyDeps,
  caller: Caller,
  scope: { namespace?: string; kinds?: string[] },
  refresh: boolean,
  now: Date,
  build: () => Promise<TopologyGraph>,
): Promise<BuiltGraph> {
  if (deps.cacheSeconds <= 0) return { graph: await build(), cached: false, builtAt: now.toISOString() };
  const view = viewKey(caller, scope);
  if (!refresh) {
    const hit = await deps.cache.get(caller.cluster.id, view);
    if (hit && hit.expiresAt > now.getTime()) {
      return { graph: JSON.parse(gunzipSync(hit.body).toString('utf8')) as TopologyGraph, cached: true, builtAt: hit.builtAt };
    }
  }
  const graph = await build();
  const body = gzipSync(JSON.stringify(graph));
  if (body.length <= MAX_CACHED_BYTES) {
    await deps.cache.put(caller.cluster.id, view, { body, builtAt: now.toISOString(), expiresAt: now.getTime() + deps.cacheSeconds * 1000 });
  }
  return { graph, cached: false, builtAt: now.toISOString() };
}
