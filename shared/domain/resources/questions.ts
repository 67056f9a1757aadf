/**
 * The questions people ask about a resource that no single object answers: which pods back this
 * Service, who uses this ConfigMap, Secret or claim (consumers.ts), how many objects each namespace holds, how
 * many volumes each storage class has, how many token Secrets each service account has, and
 * whether MetalLB runs. Every collection is read a page at a time (object-walk.ts) and only what
 * the answer needs is kept; a Secret's values are never part of an answer.
 */
import type { ClusterGateway, KubernetesObject, ResourceCollection } from '#shared/ports/cluster-gateway.ts';
import { collect, walkPages } from '../list-pages.ts';
import { unlessForbidden } from './object-walk.ts';

const core = (plural: string): ResourceCollection => ({ group: '', version: 'v1', plural });
const apps = (plural: string): ResourceCollection => ({ group: 'apps', version: 'v1', plural });
const batch = (plural: string): ResourceCollection => ({ group: 'batch', version: 'v1', plural });

const SERVICES = core('services');
const ENDPOINT_SLICES: ResourceCollection = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices' };

// ---------------------------------------------------------------------------------------------
// Service endpoints

export interface ServiceEndpoint {
  address: string;
  address_type: string;
  /** Ready to take traffic (conditions.ready; an absent condition means ready, as the API says). */
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  ports: Array<{ name: string | null; port: number; protocol: string; app_protocol: string | null }>;
  target: { kind: string; name: string; namespace: string | null } | null;
  node_name: string | null;
  zone: string | null;
  hostname: string | null;
  endpoint_slice: string;
}

interface EndpointSlice extends KubernetesObject {
  addressType?: string;
  ports?: Array<{ name?: string; port?: number; protocol?: string; appProtocol?: string }> | null;
  endpoints?: Array<{
    addresses?: string[];
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
    targetRef?: { kind?: string; name?: string; namespace?: string };
    nodeName?: string;
    zone?: string;
    hostname?: string;
  }> | null;
}

/** The addresses behind a Service, from its EndpointSlices (label kubernetes.io/service-name), one entry per address. */
export async function serviceEndpoints(gateway: ClusterGateway, namespace: string, name: string): Promise<ServiceEndpoint[]> {
  await gateway.get({ ...SERVICES, namespace, name }); // 404 for a Service that does not exist, not an empty answer
  const slices = (await collect(gateway, { ...ENDPOINT_SLICES, namespace }, { labelSelector: `kubernetes.io/service-name=${name}` })) as EndpointSlice[];
  const endpoints: ServiceEndpoint[] = [];
  for (const slice of slices) {
    const ports = (slice.ports ?? []).map((p) => ({
      name: p.name || null,
      port: p.port ?? 0,
      protocol: p.protocol ?? 'TCP',
      app_protocol: p.appProtocol ?? null,
    }));
    for (const endpoint of slice.endpoints ?? []) {
      const conditions = endpoint.conditions ?? {};
      const ref = endpoint.targetRef;
      for (const address of endpoint.addresses ?? []) {
        endpoints.push({
          address,
          address_type: slice.addressType ?? 'IPv4',
          ready: conditions.ready ?? true,
          serving: conditions.serving ?? conditions.ready ?? true,
          terminating: conditions.terminating ?? false,
          ports,
          target: ref?.kind && ref.name ? { kind: ref.kind, name: ref.name, namespace: ref.namespace ?? null } : null,
          node_name: endpoint.nodeName ?? null,
          zone: endpoint.zone ?? null,
          hostname: endpoint.hostname ?? null,
          endpoint_slice: slice.metadata?.name ?? '',
        });
      }
    }
  }
  return endpoints.sort((a, b) => a.address.localeCompare(b.address) || a.endpoint_slice.localeCompare(b.endpoint_slice));
}

// ---------------------------------------------------------------------------------------------
// Counts

/** The namespaced kinds `namespaces/counts` counts: what `kubectl get all` shows, and the objects they use. */
export const COUNTED_KINDS = {
  pods: core('pods'),
  services: core('services'),
  configmaps: core('configmaps'),
  secrets: core('secrets'),
  persistentvolumeclaims: core('persistentvolumeclaims'),
  serviceaccounts: core('serviceaccounts'),
  deployments: apps('deployments'),
  statefulsets: apps('statefulsets'),
  daemonsets: apps('daemonsets'),
  replicasets: apps('replicasets'),
  jobs: batch('jobs'),
  cronjobs: batch('cronjobs'),
  ingresses: { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses' },
} as const satisfies Record<string, ResourceCollection>;
export type CountedKind = keyof typeof COUNTED_KINDS;

/** Counts by a key of each object, a page at a time. */
async function countBy(gateway: ClusterGateway, collection: ResourceCollection, key: (o: KubernetesObject) => string, fieldSelector?: string) {
  const counts = new Map<string, number>();
  await walkPages(gateway, collection, fieldSelector ? { fieldSelector } : {}, (items) => {
    for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  });
  return counts;
}

const namespaceOf = (o: KubernetesObject) => o.metadata?.namespace ?? '';
const nameOf = (o: KubernetesObject) => o.metadata?.name ?? '';

export interface NamespaceCounts {
  /** Every namespace, with a count per kind (null: the credential may not list that kind). */
  namespaces: Array<{ name: string; counts: Record<CountedKind, number | null> }>;
  /** Kinds the credential may not list cluster-wide. */
  forbidden_kinds: CountedKind[];
}

/** Objects per namespace of the common kinds, counted from cluster-wide lists a page at a time. */
export async function namespaceCounts(gateway: ClusterGateway): Promise<NamespaceCounts> {
  const kinds = Object.keys(COUNTED_KINDS) as CountedKind[];
  const [namespaces, ...perKind] = await Promise.all([
    unlessForbidden(collect(gateway, core('namespaces'), {}).then((items) => items.map(nameOf))),
    ...kinds.map((kind) => unlessForbidden(countBy(gateway, COUNTED_KINDS[kind], namespaceOf))),
  ]);
  // A namespace being deleted can still hold objects after it left the list: it is shown too (and
  // when the credential may not list namespaces, the namespaces the counts saw are all there is).
  const names = new Set(namespaces ?? []);
  for (const counts of perKind) for (const name of counts?.keys() ?? []) names.add(name);
  return {
    namespaces: [...names].sort().map((name) => ({
      name,
      counts: Object.fromEntries(kinds.map((kind, i) => [kind, perKind[i] ? (perKind[i].get(name) ?? 0) : null])) as Record<CountedKind, number | null>,
    })),
    forbidden_kinds: kinds.filter((_, i) => perKind[i] === null),
  };
}

export interface StorageClassCounts {
  storage_classes: Array<{
    name: string;
    /** Null for a class that PersistentVolumes name but the cluster does not have (any more). */
    provisioner: string | null;
    default: boolean;
    persistent_volumes: number;
  }>;
  /** PersistentVolumes that name no storage class. */
  without_storage_class: number;
  total: number;
}

/** PersistentVolumes per StorageClass, every class listed (zero volumes too). */
export async function storageClassCounts(gateway: ClusterGateway): Promise<StorageClassCounts> {
  const [classes, volumes] = await Promise.all([
    collect(gateway, { group: 'storage.k8s.io', version: 'v1', plural: 'storageclasses' }, {}),
    countBy(gateway, core('persistentvolumes'), (pv) => ((pv.spec ?? {}) as { storageClassName?: string }).storageClassName ?? ''),
  ]);
  const rows = new Map<string, StorageClassCounts['storage_classes'][number]>();
  for (const sc of classes) {
    const annotations = sc.metadata?.annotations ?? {};
    const isDefault = [annotations['storageclass.kubernetes.io/is-default-class'], annotations['storageclass.beta.kubernetes.io/is-default-class']].includes(
      'true',
    );
    rows.set(nameOf(sc), {
      name: nameOf(sc),
      provisioner: typeof sc.provisioner === 'string' ? sc.provisioner : null,
      default: isDefault,
      persistent_volumes: 0,
    });
  }
  let total = 0;
  for (const [name, count] of volumes) {
    total += count;
    if (name === '') continue;
    rows.set(name, { ...(rows.get(name) ?? { name, provisioner: null, default: false }), persistent_volumes: count });
  }
  return { storage_classes: [...rows.values()].sort((a, b) => a.name.localeCompare(b.name)), without_storage_class: volumes.get('') ?? 0, total };
}

export interface TokenCounts {
  /** Every ServiceAccount with its count of long-lived token Secrets (type kubernetes.io/service-account-token). */
  service_accounts: Array<{
    namespace: string;
    name: string;
    token_secrets: number;
    /** False when token Secrets name an account that does not exist: tokens left behind. */
    exists: boolean;
  }>;
  total_token_secrets: number;
}

const SERVICE_ACCOUNT_TOKEN = 'kubernetes.io/service-account-token';

/**
 * Long-lived token Secrets per ServiceAccount: each one is a credential that never expires, so an
 * account with any (or tokens of an account that is gone) is worth a look. Only the Secrets'
 * metadata is read into the answer.
 */
export async function serviceAccountTokenCounts(gateway: ClusterGateway): Promise<TokenCounts> {
  const key = (namespace: string, name: string) => `${namespace}/${name}`;
  const [accounts, tokens] = await Promise.all([
    collect(gateway, core('serviceaccounts'), {}).then((items) => items.map((sa) => ({ namespace: namespaceOf(sa), name: nameOf(sa) }))),
    countBy(
      gateway,
      core('secrets'),
      (s) => key(namespaceOf(s), s.metadata?.annotations?.['kubernetes.io/service-account.name'] ?? ''),
      `type=${SERVICE_ACCOUNT_TOKEN}`,
    ),
  ]);
  const rows = new Map(accounts.map((a) => [key(a.namespace, a.name), { ...a, token_secrets: 0, exists: true }]));
  let total = 0;
  for (const [id, count] of tokens) {
    total += count;
    const slash = id.indexOf('/'); // namespaces hold no slash
    const [namespace, name] = [id.slice(0, slash), id.slice(slash + 1)];
    rows.set(id, { ...(rows.get(id) ?? { namespace, name, exists: false }), token_secrets: count });
  }
  const service_accounts = [...rows.values()].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  return { service_accounts, total_token_secrets: total };
}

// ---------------------------------------------------------------------------------------------
// MetalLB

export interface MetalLbFeature {
  /** Its API group is served and its controller Deployment found. */
  enabled: boolean;
  /** From the controller's image tag (`quay.io/metallb/controller:v0.14.8` is 0.14.8); null when unknown. */
  version: string | null;
  /** The metallb.io resources the cluster serves (`ipaddresspools.metallb.io`, ...). */
  crds: string[];
  controller: { namespace: string; name: string; image: string; ready: number; desired: number } | null;
}

/** The labels MetalLB's manifests and its Helm chart give the controller Deployment. */
const METALLB_CONTROLLER_SELECTORS = ['app=metallb,component=controller', 'app.kubernetes.io/name=metallb,app.kubernetes.io/component=controller'];

/** A version from an image reference's tag (`v0.14.8`, `0.14.8@sha256:...`); null for a digest only or `latest`. */
export function imageVersion(image: string): string | null {
  const withoutDigest = image.split('@')[0]!;
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  if (colon <= slash) return null;
  const tag = withoutDigest.slice(colon + 1);
  const match = /^v?(\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.-]+)?)$/.exec(tag);
  return match ? match[1]! : null;
}

/**
 * Whether MetalLB runs: its API group in the cluster's discovery (which every account may read,
 * unlike CustomResourceDefinitions) and its controller Deployment, found by its labels.
 */
export async function metalLbFeature(gateway: ClusterGateway): Promise<MetalLbFeature> {
  const discovery = await gateway.discover();
  const crds = [...new Set(discovery.resources.filter((r) => r.group === 'metallb.io').map((r) => `${r.plural}.${r.group}`))].sort();
  let controller: MetalLbFeature['controller'] = null;
  for (const labelSelector of METALLB_CONTROLLER_SELECTORS) {
    const found = await unlessForbidden(gateway.list(apps('deployments'), { labelSelector, limit: 1 }));
    const deployment = found?.items[0];
    if (!deployment) continue;
    const containers = ((deployment.spec as { template?: { spec?: { containers?: Array<{ name?: string; image?: string }> } } })?.template?.spec?.containers ??
      []) as Array<{ name?: string; image?: string }>;
    const image = (containers.find((c) => c.name === 'controller') ?? containers[0])?.image ?? '';
    const status = (deployment.status ?? {}) as { readyReplicas?: number };
    controller = {
      namespace: namespaceOf(deployment),
      name: nameOf(deployment),
      image,
      ready: status.readyReplicas ?? 0,
      desired: (deployment.spec as { replicas?: number } | undefined)?.replicas ?? 1,
    };
    break;
  }
  return { enabled: crds.length > 0 && controller !== null, version: controller ? imageVersion(controller.image) : null, crds, controller };
}
