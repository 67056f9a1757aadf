import { DynamoTopologyCache } from '#shared/adapters/dynamodb/topology/graph-cache.ts';
import type { TopologyDeps } from '#shared/domain/topology/ports.ts';
import type { Dependencies } from './dependencies.ts';

/** The topology context: the resources' cluster sessions, the inventory's snapshots (wired on first use) and the configured limits. */
export function wireTopology(deps: Dependencies): TopologyDeps {
  return {
    resources: deps.resources,
    get inventory() {
      return deps.inventory;
    },
    maxObjects: deps.config.topologyMaxObjects,
    defaultMaxNodes: deps.config.topologyMaxNodes,
    cache: new DynamoTopologyCache(deps.table),
    cacheSeconds: deps.config.topologyCacheSeconds,
  };
}
