/**
 * The layer of each kind, so that traffic flows top to bottom: what routes traffic in, Services
 * and the policies about pods, workloads, their ReplicaSets and Jobs, pods, then configuration,
 * storage, access and nodes. Kinds not named here go last.
 */
const LAYER_OF: Record<string, number> = {
  Namespace: 0,
  GatewayClass: 1,
  IngressClass: 1,
  Gateway: 1,
  Ingress: 2,
  HTTPRoute: 2,
  GRPCRoute: 2,
  TCPRoute: 2,
  TLSRoute: 2,
  UDPRoute: 2,
  Service: 3,
  HorizontalPodAutoscaler: 3,
  NetworkPolicy: 3,
  PodDisruptionBudget: 3,
  Deployment: 4,
  StatefulSet: 4,
  DaemonSet: 4,
  CronJob: 4,
  ReplicaSet: 5,
  Job: 5,
  EndpointSlice: 5,
  Endpoints: 5,
  Pod: 6,
  ConfigMap: 7,
  Secret: 7,
  ServiceAccount: 7,
  PersistentVolumeClaim: 7,
  PersistentVolume: 8,
  StorageClass: 9,
  RoleBinding: 8,
  ClusterRoleBinding: 8,
  Role: 9,
  ClusterRole: 9,
  Node: 9,
};
export const LAST_LAYER = 10;

export const layerOf = (kind: string): number => LAYER_OF[kind] ?? LAST_LAYER;
