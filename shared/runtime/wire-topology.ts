import type { TopologyDeps } from '#shared/domain/topology/ports.ts';
import type { Dependencies } from './dependencies.ts';

/** The topology context: the resources' cluster sessions and the configured limits. */
export function wireTopology(deps: Dependencies): TopologyDeps {
  return { resources: deps.resources, maxObjects: deps.config.topologyMaxObjects, defaultMaxNodes: deps.config.topologyMaxNodes };
}
