/**
 * Objects in, nodes and typed edges out. Every relation the issue (16) names is derived here,
 * each edge naming the field it was read from; an edge is drawn only between objects both in
 * the input, so a graph of one namespace or of some kinds says nothing it did not see. Selectors
 * are matched through a per-namespace label index, so 10,000 objects build in milliseconds.
 */
import type { KubernetesObject } from '#shared/ports/cluster-gateway.ts';
import { selectorMatcher, serviceSelectorPairs, type LabelSelector } from './label-selector.ts';
import { nodeId, type Relationship, type TopologyEdge, type TopologyGraph, type TopologyNode } from './model.ts';
import { nodeFacts } from './node-facts.ts';
import { podReferences, type PodSpec } from './pod-references.ts';

type Obj = KubernetesObject & { kind: string; metadata: { name: string } };
interface OwnerRef {
  kind?: string;
  name?: string;
  uid?: string;
  controller?: boolean;
}
interface Ref {
  kind?: string;
  name?: string;
  namespace?: string;
  group?: string;
}

const ROUTE_KINDS = new Set(['HTTPRoute', 'GRPCRoute', 'TCPRoute', 'TLSRoute', 'UDPRoute']);
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const asArray = <T>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);
const str = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

function toNode(object: Obj): TopologyNode {
  const namespace = str(object.metadata.namespace) ?? null;
  const labels = object.metadata.labels && typeof object.metadata.labels === 'object' ? { ...object.metadata.labels } : {};
  return {
    id: nodeId(object.kind, namespace, object.metadata.name),
    kind: object.kind,
    namespace,
    name: object.metadata.name,
    api_version: str(object.apiVersion) ?? 'v1',
    uid: str(object.metadata.uid) ?? null,
    labels,
    ...nodeFacts(object),
  };
}

export function buildGraph(input: readonly KubernetesObject[]): TopologyGraph {
  const nodes = new Map<string, TopologyNode>();
  const objects: Array<[TopologyNode, Obj]> = [];
  const byUid = new Map<string, string>();
  for (const object of input) {
    if (typeof object?.kind !== 'string' || typeof object.metadata?.name !== 'string') continue;
    const node = toNode(object as Obj);
    if (nodes.has(node.id)) continue;
    nodes.set(node.id, node);
    objects.push([node, object as Obj]);
    if (node.uid) byUid.set(node.uid, node.id);
  }
  // Objects in id order make the edges come out in one order whatever order the input had, with no sort of the (many more) edges.
  objects.sort((a, b) => compare(a[0].id, b[0].id));

  // Pods per namespace, and per namespace and label pair, for selectors.
  const podsIn = new Map<string, TopologyNode[]>();
  const podsWith = new Map<string, TopologyNode[]>();
  for (const [node] of objects) {
    if (node.kind !== 'Pod' || !node.namespace) continue;
    push(podsIn, node.namespace, node);
    for (const [key, value] of Object.entries(node.labels)) push(podsWith, `${node.namespace}\u0000${key}=${value}`, node);
  }
  const podsMatching = (namespace: string, first: [string, string] | undefined, matches: (labels: Record<string, string>) => boolean) =>
    (first ? (podsWith.get(`${namespace}\u0000${first[0]}=${first[1]}`) ?? []) : (podsIn.get(namespace) ?? [])).filter((p) => matches(p.labels));

  // Every edge is found while its object (one of its ends) is looked at, and only then: a set of the
  // edges of that object alone tells a repeated field, without hashing every edge id of the graph.
  const edges: TopologyEdge[] = [];
  let ofThisObject = new Set<string>();
  const link = (source: string | undefined, target: string | undefined, relationship: Relationship, label: string, derivation: string) => {
    if (!source || !target || source === target || !nodes.has(source) || !nodes.has(target)) return;
    const id = `${source}|${relationship}|${target}|${derivation}`;
    if (ofThisObject.has(id)) return;
    ofThisObject.add(id);
    edges.push({ id, source, target, relationship, label, derivation });
  };
  /** A namespaced object of the same namespace, else a cluster-scoped one of that kind and name. */
  const named = (kind: string | undefined, name: string | undefined, namespace: string | null) => {
    if (!kind || !name) return undefined;
    const local = namespace ? nodeId(kind, namespace, name) : undefined;
    return local && nodes.has(local) ? local : nodeId(kind, null, name);
  };

  for (const [node, object] of objects) {
    if (ofThisObject.size) ofThisObject = new Set();
    const { id, namespace } = node;
    const spec = (object.spec ?? {}) as Record<string, unknown>;
    if (namespace) link(nodeId('Namespace', null, namespace), id, 'contains', 'contains', 'metadata.namespace');
    for (const owner of asArray<OwnerRef>(object.metadata.ownerReferences)) {
      const ownerId = (owner.uid && byUid.get(owner.uid)) || named(owner.kind, owner.name, namespace);
      link(ownerId, id, 'owns', owner.controller ? 'controls' : 'owns', 'metadata.ownerReferences');
    }
    switch (node.kind) {
      case 'Pod': {
        const pod = spec as PodSpec;
        podSpecEdges(id, namespace, pod, 'spec', link);
        link(id, nodeId('Node', null, str(pod.nodeName) ?? ''), 'schedules', 'runs on', 'spec.nodeName');
        break;
      }
      case 'Deployment':
      case 'StatefulSet':
      case 'DaemonSet':
      case 'Job':
      case 'CronJob': {
        // The workload names what its pods will need: drawn on the workload itself, so that a
        // Secret's blast radius reaches a workload scaled to zero and the graph says it before a pod runs.
        const at = node.kind === 'CronJob' ? 'spec.jobTemplate.spec.template.spec' : 'spec.template.spec';
        const template = at
          .split('.')
          .slice(1)
          .reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], spec) as PodSpec | undefined;
        if (template && typeof template === 'object') podSpecEdges(id, namespace, template, at, link);
        break;
      }
      case 'Service': {
        const pairs = serviceSelectorPairs(spec.selector);
        if (!namespace || pairs.length === 0) break;
        const matches = (labels: Record<string, string>) => pairs.every(([k, v]) => labels[k] === v);
        for (const pod of podsMatching(namespace, pairs[0], matches)) link(id, pod.id, 'selects', 'selects', 'spec.selector');
        break;
      }
      case 'NetworkPolicy':
      case 'PodDisruptionBudget': {
        if (!namespace) break;
        const field = node.kind === 'NetworkPolicy' ? 'podSelector' : 'selector';
        const selector = spec[field] as LabelSelector | null | undefined;
        const matches = selectorMatcher(selector);
        const first = Object.entries(selector?.matchLabels ?? {})[0];
        const [relationship, label]: [Relationship, string] = node.kind === 'NetworkPolicy' ? ['selects', 'applies to'] : ['protects', 'protects'];
        for (const pod of podsMatching(namespace, first, matches)) link(id, pod.id, relationship, label, `spec.${field}`);
        break;
      }
      case 'EndpointSlice':
        link(named('Service', object.metadata.labels?.[SERVICE_NAME_LABEL], namespace), id, 'exposes', 'exposes', `metadata.labels[${SERVICE_NAME_LABEL}]`);
        break;
      case 'Endpoints':
        link(nodeId('Service', namespace, node.name), id, 'exposes', 'exposes', 'metadata.name');
        break;
      case 'Ingress':
        ingressEdges(id, namespace, spec, link);
        break;
      case 'Gateway':
        link(id, nodeId('GatewayClass', null, str(spec.gatewayClassName) ?? ''), 'uses', 'class', 'spec.gatewayClassName');
        break;
      case 'HorizontalPodAutoscaler': {
        const target = spec.scaleTargetRef as Ref | undefined;
        link(id, named(target?.kind, target?.name, namespace), 'manages', 'scales', 'spec.scaleTargetRef');
        break;
      }
      case 'PersistentVolumeClaim':
        link(id, nodeId('PersistentVolume', null, str(spec.volumeName) ?? ''), 'stores', 'bound to', 'spec.volumeName');
        link(id, nodeId('StorageClass', null, str(spec.storageClassName) ?? ''), 'stores', 'uses class', 'spec.storageClassName');
        break;
      case 'PersistentVolume':
        link(id, nodeId('StorageClass', null, str(spec.storageClassName) ?? ''), 'stores', 'provisioned by', 'spec.storageClassName');
        break;
      case 'RoleBinding':
      case 'ClusterRoleBinding': {
        const role = object.roleRef as Ref | undefined;
        link(
          id,
          role?.kind === 'ClusterRole' ? nodeId('ClusterRole', null, role.name ?? '') : named(role?.kind, role?.name, namespace),
          'permits',
          'grants',
          'roleRef',
        );
        asArray<Ref>(object.subjects).forEach((subject, i) => {
          if (subject.kind !== 'ServiceAccount' || !subject.name) return;
          const subjectNs = str(subject.namespace) ?? namespace;
          if (subjectNs) link(id, nodeId('ServiceAccount', subjectNs, subject.name), 'permits', 'binds to', `subjects[${i}]`);
        });
        break;
      }
      case 'ServiceAccount':
        for (const field of ['secrets', 'imagePullSecrets'] as const) {
          for (const ref of asArray<Ref>(object[field]))
            link(id, nodeId('Secret', namespace, ref.name ?? ''), 'uses', field === 'secrets' ? 'token' : 'pulls images with', `${field}[${ref.name}]`);
        }
        break;
      default:
        if (ROUTE_KINDS.has(node.kind)) routeEdges(id, namespace, spec, link);
    }
  }

  return {
    nodes: objects.map(([node]) => node),
    edges,
    warnings: [],
  };
}

type Link = (source: string | undefined, target: string | undefined, relationship: Relationship, label: string, derivation: string) => void;

/** A pod spec's references (a Pod's own, or a workload's template at `at`): ConfigMaps and Secrets by name, claims, its account. */
function podSpecEdges(id: string, namespace: string | null, pod: PodSpec, at: string, link: Link) {
  for (const ref of podReferences(pod)) {
    const isClaim = ref.kind === 'PersistentVolumeClaim';
    const label = isClaim
      ? 'claims'
      : ref.derivation.includes('.env')
        ? 'reads env from'
        : ref.derivation.includes('imagePullSecrets')
          ? 'pulls images with'
          : 'mounts';
    link(id, nodeId(ref.kind, namespace, ref.name), isClaim ? 'mounts' : 'configures', label, `${at}${ref.derivation.slice('spec'.length)}`);
  }
  link(id, nodeId('ServiceAccount', namespace, str(pod.serviceAccountName) ?? 'default'), 'uses', 'runs as', `${at}.serviceAccountName`);
}

interface Backend {
  service?: { name?: string };
  serviceName?: string;
}

function ingressEdges(id: string, namespace: string | null, spec: Record<string, unknown>, link: Link) {
  const service = (backend: Backend | undefined) => str(backend?.service?.name) ?? str(backend?.serviceName);
  const toService = (name: string | undefined, label: string, derivation: string) =>
    name && link(id, nodeId('Service', namespace, name), 'routes', label, derivation);
  toService(service(spec.defaultBackend as Backend), 'default backend', 'spec.defaultBackend');
  toService(service(spec.backend as Backend), 'default backend', 'spec.backend');
  asArray<{ http?: { paths?: Array<{ backend?: Backend }> } }>(spec.rules).forEach((rule, i) =>
    asArray<{ backend?: Backend }>(rule.http?.paths).forEach((path, j) =>
      toService(service(path.backend), 'routes to', `spec.rules[${i}].http.paths[${j}].backend`),
    ),
  );
  asArray<{ secretName?: string }>(spec.tls).forEach(
    (tls, i) => tls.secretName && link(id, nodeId('Secret', namespace, tls.secretName), 'uses', 'TLS from', `spec.tls[${i}].secretName`),
  );
  if (str(spec.ingressClassName)) link(id, nodeId('IngressClass', null, spec.ingressClassName as string), 'uses', 'class', 'spec.ingressClassName');
}

/** Gateway API routes: the Gateways they attach to route to them, and they route to their backend Services. */
function routeEdges(id: string, namespace: string | null, spec: Record<string, unknown>, link: Link) {
  asArray<Ref>(spec.parentRefs).forEach((parent, i) => {
    if ((parent.kind ?? 'Gateway') !== 'Gateway' || !parent.name) return;
    link(nodeId('Gateway', str(parent.namespace) ?? namespace, parent.name), id, 'routes', 'attaches', `spec.parentRefs[${i}]`);
  });
  asArray<{ backendRefs?: Ref[] }>(spec.rules).forEach((rule, i) =>
    asArray<Ref>(rule.backendRefs).forEach((backend, j) => {
      if ((backend.kind ?? 'Service') !== 'Service' || (backend.group ?? '') !== '' || !backend.name) return;
      link(id, nodeId('Service', str(backend.namespace) ?? namespace, backend.name), 'routes', 'routes to', `spec.rules[${i}].backendRefs[${j}]`);
    }),
  );
}

function push<T>(map: Map<string, T[]>, key: string, value: T) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Code-unit order, the same on every machine and locale (localeCompare is neither). */
export const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
