import type { InventoryDeps } from '#shared/domain/inventory/ports.ts';
import type { ResourceDeps } from '#shared/domain/resources/cluster-session.ts';

/** What the topology needs: the clusters (through the resources' sessions) and its limits. */
export interface TopologyDeps {
  resources: ResourceDeps;
  /** The inventory's snapshots, for graphs drawn without contacting the cluster (source=inventory). */
  inventory: InventoryDeps;
  /** The most objects read for one graph; past it the request answers 422 TOPOLOGY_TOO_LARGE. */
  maxObjects: number;
  /** Nodes above which pods and ReplicaSets fold into their workloads (max_nodes when not asked). */
  defaultMaxNodes: number;
  cache: TopologyCache;
  /** How long a built graph is served from the cache; 0 turns it off. */
  cacheSeconds: number;
}

/** A built graph as the cache keeps it: gzip of its JSON, when it was built, and until when it may be served (epoch ms). */
export interface CachedGraph {
  body: Uint8Array;
  builtAt: string;
  expiresAt: number;
}

/** Built graphs shared by every instance of the function (the table), per cluster and view. */
export interface TopologyCache {
  get(clusterId: string, view: string): Promise<CachedGraph | undefined>;
  put(clusterId: string, view: string, graph: CachedGraph): Promise<void>;
}
