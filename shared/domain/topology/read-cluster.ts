/**
 * Reading what a graph is built from, live from a cluster: each kind a page at a time (the
 * resources' object walk), as the caller when the cluster impersonates, so that a kind the
 * credential may not list is a warning rather than a failure and the graph shows what the caller
 * may see. Each object is cut down as its page arrives to what the relations read: a Secret's
 * and a ConfigMap's data never stay in memory, let alone reach an answer. Past `maxObjects` the
 * read stops with TopologyTooLargeError, so a huge cluster cannot exhaust the function.
 *
 * With a namespace, cluster-scoped objects are kept only when the namespace's objects name
 * them (its Namespace, the pods' Nodes, the claims' volumes and classes, bound ClusterRoles).
 */
import { walkPages } from '#shared/domain/list-pages.ts';
import { unlessForbidden } from '#shared/domain/resources/object-walk.ts';
import { ClusterApiError, type ClusterGateway, type KubernetesObject } from '#shared/ports/cluster-gateway.ts';
import { TopologyTooLargeError } from './errors.ts';
import type { TopologyWarning } from './model.ts';
import { TOPOLOGY_KINDS, type TopologyKind } from './topology-kinds.ts';

export interface ReadQuery {
  namespace?: string;
  /** Only these kinds (names as in TOPOLOGY_KINDS); all when absent. */
  kinds?: string[];
  maxObjects: number;
}

export interface ReadResult {
  objects: KubernetesObject[];
  warnings: TopologyWarning[];
}

/** The fields of an object the relations and node facts read; everything else (data above all) is dropped. */
export function slim(kind: string, apiVersion: string, object: KubernetesObject): KubernetesObject {
  const m = object.metadata ?? {};
  const metadata = { name: m.name, namespace: m.namespace, uid: m.uid, labels: m.labels, ownerReferences: m.ownerReferences };
  const kept: KubernetesObject = { kind, apiVersion, metadata };
  if (kind === 'Secret' || kind === 'ConfigMap') return kept;
  for (const field of ['spec', 'status', 'roleRef', 'subjects', 'secrets', 'imagePullSecrets'] as const) {
    if (object[field] !== undefined) kept[field] = object[field];
  }
  return kept;
}

export async function readCluster(gateway: ClusterGateway, query: ReadQuery): Promise<ReadResult> {
  const wanted = query.kinds ? TOPOLOGY_KINDS.filter((t) => query.kinds!.includes(t.kind)) : TOPOLOGY_KINDS;
  const objects: KubernetesObject[] = [];
  const warnings: TopologyWarning[] = [];
  const read = async (t: TopologyKind, keep: (o: KubernetesObject) => boolean = () => true) => {
    const apiVersion = t.collection.group ? `${t.collection.group}/${t.collection.version}` : t.collection.version;
    const collection = t.clusterScoped || !query.namespace ? t.collection : { ...t.collection, namespace: query.namespace };
    const walked = await unlessForbidden(
      walkPages(gateway, collection, {}, (items) => {
        for (const item of items) {
          if (!keep(item)) continue;
          if (objects.length >= query.maxObjects) throw new TopologyTooLargeError(query.maxObjects, query.namespace);
          objects.push(slim(t.kind, apiVersion, item));
        }
      }).then(
        () => true,
        (err: unknown) => {
          if (!(err instanceof ClusterApiError && err.kind === 'not_found')) throw err;
          // An add-on's kind on a cluster without its CRDs is simply absent; a core one the cluster does not serve
          // (an older autoscaling or policy version) is said, and the rest of the graph still answers.
          if (!t.optional) warnings.push({ code: 'KIND_NOT_SERVED', message: `${t.kind}: the cluster does not serve ${apiVersion}; they are not shown.` });
          return true;
        },
      ),
    );
    if (walked === null)
      warnings.push({
        code: 'KIND_FORBIDDEN',
        message: `${t.kind}: the cluster does not allow listing them${query.namespace ? ` in ${query.namespace}` : ''}; they are not shown.`,
      });
  };

  // Namespaced kinds first: with a namespace they say which cluster-scoped objects matter.
  for (const t of wanted.filter((w) => !w.clusterScoped)) await read(t);
  const named = query.namespace ? namedClusterObjects(objects, query.namespace) : undefined;
  for (const t of wanted.filter((w) => w.clusterScoped)) {
    await read(t, named ? (o) => named.has(`${t.kind}/${o.metadata?.name ?? ''}`) : undefined);
  }
  return { objects, warnings };
}

/** `Kind/name` of the cluster-scoped objects the namespace's objects name, the namespace itself included. */
function namedClusterObjects(objects: KubernetesObject[], namespace: string): Set<string> {
  const names = new Set([`Namespace/${namespace}`]);
  const add = (kind: string, name: unknown) => typeof name === 'string' && name && names.add(`${kind}/${name}`);
  for (const o of objects) {
    const spec = (o.spec ?? {}) as Record<string, unknown>;
    if (o.kind === 'Pod') add('Node', spec.nodeName);
    if (o.kind === 'PersistentVolumeClaim') {
      add('PersistentVolume', spec.volumeName);
      add('StorageClass', spec.storageClassName);
    }
    if (o.kind === 'Ingress') add('IngressClass', spec.ingressClassName);
    if (o.kind === 'Gateway') add('GatewayClass', spec.gatewayClassName);
    if (o.kind === 'RoleBinding' && (o.roleRef as { kind?: string } | undefined)?.kind === 'ClusterRole')
      add('ClusterRole', (o.roleRef as { name?: string }).name);
  }
  return names;
}
