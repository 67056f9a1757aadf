/** The summary view: counts of five kinds, each null when the credential may not list it. */
import type { ClusterSummary, ResourceCollection } from '#shared/ports/cluster-gateway.ts';
import { countAll, forbiddenAsNull, listerOf, type ListCall } from './list-pages.ts';

const core = (plural: string): ResourceCollection => ({ group: '', version: 'v1', plural });

/** Counts the credential may not read come back null (the `view` ClusterRole cannot list nodes). */
export async function clusterSummary(list: ListCall): Promise<ClusterSummary> {
  const count = (collection: ResourceCollection) => countAll(listerOf(list, collection)).catch(forbiddenAsNull);
  const [nodes, namespaces, pods, deployments, services] = await Promise.all([
    count(core('nodes')),
    count(core('namespaces')),
    count(core('pods')),
    count({ group: 'apps', version: 'v1', plural: 'deployments' }),
    count(core('services')),
  ]);
  return { nodeCount: nodes, namespaceCount: namespaces, podCount: pods, deploymentCount: deployments, serviceCount: services };
}
