/**
 * The kinds the topology reads, as data: where each is listed, whether it is cluster-scoped, and
 * whether its API may be missing (Gateway API without its CRDs answers 404, which is no error).
 */
import type { ResourceCollection } from '#shared/ports/cluster-gateway.ts';

export interface TopologyKind {
  kind: string;
  collection: ResourceCollection;
  clusterScoped: boolean;
  /** Served only when an add-on (CRDs) is installed. */
  optional: boolean;
}

const k = (kind: string, group: string, version: string, plural: string, clusterScoped = false, optional = false): TopologyKind => ({
  kind,
  collection: { group, version, plural },
  clusterScoped,
  optional,
});
const GATEWAY = 'gateway.networking.k8s.io';

export const TOPOLOGY_KINDS: readonly TopologyKind[] = [
  k('Namespace', '', 'v1', 'namespaces', true),
  k('Node', '', 'v1', 'nodes', true),
  k('Pod', '', 'v1', 'pods'),
  k('Service', '', 'v1', 'services'),
  k('EndpointSlice', 'discovery.k8s.io', 'v1', 'endpointslices'),
  k('ConfigMap', '', 'v1', 'configmaps'),
  k('Secret', '', 'v1', 'secrets'),
  k('ServiceAccount', '', 'v1', 'serviceaccounts'),
  k('PersistentVolumeClaim', '', 'v1', 'persistentvolumeclaims'),
  k('PersistentVolume', '', 'v1', 'persistentvolumes', true),
  k('StorageClass', 'storage.k8s.io', 'v1', 'storageclasses', true),
  k('Deployment', 'apps', 'v1', 'deployments'),
  k('ReplicaSet', 'apps', 'v1', 'replicasets'),
  k('StatefulSet', 'apps', 'v1', 'statefulsets'),
  k('DaemonSet', 'apps', 'v1', 'daemonsets'),
  k('Job', 'batch', 'v1', 'jobs'),
  k('CronJob', 'batch', 'v1', 'cronjobs'),
  k('HorizontalPodAutoscaler', 'autoscaling', 'v2', 'horizontalpodautoscalers'),
  k('PodDisruptionBudget', 'policy', 'v1', 'poddisruptionbudgets'),
  k('Ingress', 'networking.k8s.io', 'v1', 'ingresses'),
  k('IngressClass', 'networking.k8s.io', 'v1', 'ingressclasses', true),
  k('NetworkPolicy', 'networking.k8s.io', 'v1', 'networkpolicies'),
  k('Role', 'rbac.authorization.k8s.io', 'v1', 'roles'),
  k('RoleBinding', 'rbac.authorization.k8s.io', 'v1', 'rolebindings'),
  k('ClusterRole', 'rbac.authorization.k8s.io', 'v1', 'clusterroles', true),
  k('ClusterRoleBinding', 'rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', true),
  k('GatewayClass', GATEWAY, 'v1', 'gatewayclasses', true, true),
  k('Gateway', GATEWAY, 'v1', 'gateways', false, true),
  k('HTTPRoute', GATEWAY, 'v1', 'httproutes', false, true),
  k('GRPCRoute', GATEWAY, 'v1', 'grpcroutes', false, true),
];

export const TOPOLOGY_KIND_NAMES = TOPOLOGY_KINDS.map((t) => t.kind);

/** A kind as a caller may write it: `Pod`, `pod`, `pods` or the group-qualified plural. */
export function topologyKind(name: string): TopologyKind | undefined {
  const wanted = name.toLowerCase();
  return TOPOLOGY_KINDS.find(
    (t) => t.kind.toLowerCase() === wanted || t.collection.plural === wanted || `${t.collection.plural}.${t.collection.group}` === wanted,
  );
}
