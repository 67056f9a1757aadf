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
}
