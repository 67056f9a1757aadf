import { DiscoveryCache } from '#shared/domain/resources/discovery-cache.ts';
import type { ResourceDeps } from '#shared/domain/resources/cluster-session.ts';
import type { Dependencies } from './dependencies.ts';

/** The resources context: the clusters' gateways and breakers, and each cluster's discovery remembered for this instance. */
export function wireResources(deps: Dependencies): ResourceDeps {
  return { clusters: deps.clusters, discovery: new DiscoveryCache(deps.clock), maxApplyBytes: deps.config.maxApplyBytes };
}
