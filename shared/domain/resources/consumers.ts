/**
 * Who uses a ConfigMap, Secret, PersistentVolumeClaim or ServiceAccount: the pods that reference
 * it, and the workloads whose pod template does (so a Deployment scaled to zero, or a CronJob
 * between runs, is a consumer too), and for a Secret the ServiceAccounts that list it. Each
 * consumer is listed once: a workload found through its pods and its template is one entry, and a
 * ReplicaSet or Job run by a Deployment or CronJob is that owner, whose own template is read.
 * Every collection is read a page at a time; a kind the credential may not list is named in
 * `unreadable` rather than failing the answer.
 */
import type { ClusterGateway, KubernetesObject, ResourceCollection } from '#shared/ports/cluster-gateway.ts';
import { walkPages } from '../list-pages.ts';
import { controllerOf, unlessForbidden } from './object-walk.ts';

const core = (plural: string): ResourceCollection => ({ group: '', version: 'v1', plural });
const apps = (plural: string): ResourceCollection => ({ group: 'apps', version: 'v1', plural });
const batch = (plural: string): ResourceCollection => ({ group: 'batch', version: 'v1', plural });

export const CONSUMED_KINDS = {
  configmaps: core('configmaps'),
  secrets: core('secrets'),
  persistentvolumeclaims: core('persistentvolumeclaims'),
  serviceaccounts: core('serviceaccounts'),
} as const;
export type ConsumedKind = keyof typeof CONSUMED_KINDS;

/** How a pod, a pod template or a ServiceAccount refers to the object. */
export interface PodReference {
  via: 'volume' | 'projected-volume' | 'env' | 'envFrom' | 'imagePullSecrets' | 'serviceAccountName' | 'volumeClaimTemplate' | 'secrets';
  /** The container (init and ephemeral containers too) for env and envFrom. */
  container: string | null;
  /** The volume's name, or the environment variable's, or the claim template's. */
  field: string | null;
}

export interface Workload {
  kind: string;
  name: string;
  namespace: string;
}

export interface PodConsumer {
  name: string;
  namespace: string;
  /** The workload that runs the pod, resolved through its owners (ReplicaSet to Deployment, Job to CronJob); null for a bare pod. */
  workload: Workload | null;
  references: PodReference[];
}

export interface WorkloadConsumer extends Workload {
  /** Its pods that use the object (none for a workload scaled to zero). */
  pods: string[];
  /** Where its pod template refers to the object (none when only a pod does, e.g. through an ephemeral container). */
  references: PodReference[];
}

export interface Consumers {
  pods: PodConsumer[];
  /** Each workload once: those whose pods or pod template use the object. */
  workloads: WorkloadConsumer[];
  /** ServiceAccounts that list a Secret under `secrets` or `imagePullSecrets`. */
  service_accounts: Array<{ name: string; namespace: string; references: PodReference[] }>;
  /** Kinds the credential may not list, so consumers among them are unknown. */
  unreadable: string[];
}

interface Container {
  name?: string;
  env?: Array<{ name?: string; valueFrom?: { configMapKeyRef?: { name?: string }; secretKeyRef?: { name?: string } } }>;
  envFrom?: Array<{ configMapRef?: { name?: string }; secretRef?: { name?: string } }>;
}
interface ProjectedSource {
  configMap?: { name?: string };
  secret?: { name?: string };
}
interface Volume {
  name?: string;
  configMap?: { name?: string };
  secret?: { secretName?: string };
  persistentVolumeClaim?: { claimName?: string };
  projected?: { sources?: ProjectedSource[] };
}
interface PodSpec {
  volumes?: Volume[];
  containers?: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
  imagePullSecrets?: Array<{ name?: string }>;
  serviceAccountName?: string;
  serviceAccount?: string;
}

/** Every place a pod spec (a pod's or a template's) names an object of `kind` called `name`. */
export function podReferences(spec: PodSpec, kind: ConsumedKind, name: string): PodReference[] {
  if (kind === 'serviceaccounts') {
    // The API server fills in `default` for a pod that names none; a template may leave it out.
    const account = spec.serviceAccountName || spec.serviceAccount || 'default';
    return account === name ? [{ via: 'serviceAccountName', container: null, field: null }] : [];
  }
  const found: PodReference[] = [];
  for (const volume of spec.volumes ?? []) {
    const field = volume.name ?? null;
    const direct = kind === 'configmaps' ? volume.configMap?.name : kind === 'secrets' ? volume.secret?.secretName : volume.persistentVolumeClaim?.claimName;
    if (direct === name) found.push({ via: 'volume', container: null, field });
    if (kind !== 'persistentvolumeclaims') {
      const projected = (volume.projected?.sources ?? []).some((s) => (kind === 'configmaps' ? s.configMap?.name : s.secret?.name) === name);
      if (projected) found.push({ via: 'projected-volume', container: null, field });
    }
  }
  if (kind === 'persistentvolumeclaims') return found;
  for (const container of [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])]) {
    const containerName = container.name ?? null;
    for (const variable of container.env ?? []) {
      const from = kind === 'configmaps' ? variable.valueFrom?.configMapKeyRef?.name : variable.valueFrom?.secretKeyRef?.name;
      if (from === name) found.push({ via: 'env', container: containerName, field: variable.name ?? null });
    }
    for (const source of container.envFrom ?? []) {
      const from = kind === 'configmaps' ? source.configMapRef?.name : source.secretRef?.name;
      if (from === name) found.push({ via: 'envFrom', container: containerName, field: null });
    }
  }
  if (kind === 'secrets' && (spec.imagePullSecrets ?? []).some((s) => s.name === name)) {
    found.push({ via: 'imagePullSecrets', container: null, field: null });
  }
  return found;
}

/** The workload kinds whose pod templates are read, and where each keeps its template. */
const TEMPLATED: Array<{ kind: string; collection: ResourceCollection; template: (o: KubernetesObject) => unknown }> = [
  { kind: 'Deployment', collection: apps('deployments'), template: (o) => spec(o).template },
  { kind: 'StatefulSet', collection: apps('statefulsets'), template: (o) => spec(o).template },
  { kind: 'DaemonSet', collection: apps('daemonsets'), template: (o) => spec(o).template },
  { kind: 'ReplicaSet', collection: apps('replicasets'), template: (o) => spec(o).template },
  { kind: 'Job', collection: batch('jobs'), template: (o) => spec(o).template },
  { kind: 'CronJob', collection: batch('cronjobs'), template: (o) => (spec(o).jobTemplate as { spec?: { template?: unknown } } | undefined)?.spec?.template },
];
const spec = (o: KubernetesObject) => (o.spec ?? {}) as Record<string, unknown>;

/** Owners whose own template is read: a ReplicaSet or Job they run is not a consumer of its own. */
const TEMPLATED_KINDS = new Set(TEMPLATED.map((t) => t.kind));

/** Owners one hop further up than the pod's controller: a ReplicaSet's Deployment, a Job's CronJob. */
const OWNER_OF: Record<string, ResourceCollection> = { ReplicaSet: apps('replicasets'), Job: batch('jobs') };

/** The claims a StatefulSet makes from a claim template are named `<template>-<statefulset>-<ordinal>`. */
function claimTemplateReferences(statefulSet: KubernetesObject, claim: string): PodReference[] {
  const templates = (spec(statefulSet).volumeClaimTemplates ?? []) as Array<{ metadata?: { name?: string } }>;
  const set = statefulSet.metadata?.name ?? '';
  return templates
    .map((t) => t.metadata?.name ?? '')
    .filter((t) => t && claim.startsWith(`${t}-${set}-`) && /^\d+$/.test(claim.slice(`${t}-${set}-`.length)))
    .map((t) => ({ via: 'volumeClaimTemplate' as const, container: null, field: t }));
}

/** The consumers in the namespace of the object (which must exist: 404 otherwise). */
export async function consumers(gateway: ClusterGateway, kind: ConsumedKind, namespace: string, name: string): Promise<Consumers> {
  await gateway.get({ ...CONSUMED_KINDS[kind], namespace, name }); // 404 for an object that does not exist
  const unreadable: string[] = [];
  const walk = async (collection: ResourceCollection, visit: (o: KubernetesObject) => void) => {
    const read = await unlessForbidden(walkPages(gateway, { ...collection, namespace }, {}, (items) => items.forEach(visit)).then(() => true));
    if (read === null) unreadable.push(collection.group ? `${collection.plural}.${collection.group}` : collection.plural);
  };

  const pods: Array<{ pod: KubernetesObject; references: PodReference[] }> = [];
  const templates = new Map<string, WorkloadConsumer>();
  const serviceAccounts: Consumers['service_accounts'] = [];
  await Promise.all([
    walk(core('pods'), (pod) => {
      const references = podReferences((pod.spec ?? {}) as PodSpec, kind, name);
      if (references.length) pods.push({ pod, references });
    }),
    ...TEMPLATED.map((t) =>
      walk(t.collection, (object) => {
        const owner = controllerOf(object);
        if (owner?.kind && TEMPLATED_KINDS.has(owner.kind)) return; // the Deployment's or CronJob's own template speaks for it
        const template = (t.template(object) ?? {}) as { spec?: PodSpec };
        const references = podReferences(template.spec ?? {}, kind, name);
        if (kind === 'persistentvolumeclaims' && t.kind === 'StatefulSet') references.push(...claimTemplateReferences(object, name));
        if (!references.length) return;
        // A ReplicaSet or Job run by some other controller (an operator's kind) is that controller's.
        const workload = owner?.kind && owner.name ? { kind: owner.kind, name: owner.name } : { kind: t.kind, name: object.metadata?.name ?? '' };
        const key = `${workload.kind}/${workload.name}`;
        const entry = templates.get(key) ?? { ...workload, namespace, pods: [], references: [] };
        entry.references.push(...references);
        templates.set(key, entry);
      }),
    ),
    kind === 'secrets'
      ? walk(core('serviceaccounts'), (account) => {
          const listed = (field: 'secrets' | 'imagePullSecrets') => ((account as Record<string, unknown>)[field] ?? []) as Array<{ name?: string }>;
          const references: PodReference[] = [];
          if (listed('secrets').some((s) => s.name === name)) references.push({ via: 'secrets', container: null, field: null });
          if (listed('imagePullSecrets').some((s) => s.name === name)) references.push({ via: 'imagePullSecrets', container: null, field: null });
          if (references.length) serviceAccounts.push({ name: account.metadata?.name ?? '', namespace, references });
        })
      : Promise.resolve(),
  ]);

  // Each intermediate owner is read once, however many pods it has; one the credential may not read stays the workload.
  const resolved = new Map<string, Promise<Workload>>();
  const workloadOf = (pod: KubernetesObject): Promise<Workload> | null => {
    const owner = controllerOf(pod);
    if (!owner?.kind || !owner.name) return null;
    const direct = { kind: owner.kind, name: owner.name, namespace };
    const collection = OWNER_OF[owner.kind];
    if (!collection) return Promise.resolve(direct);
    const key = `${owner.kind}/${owner.name}`;
    if (!resolved.has(key)) {
      const lookup = unlessForbidden(gateway.get({ ...collection, namespace, name: owner.name }))
        .then((answer) => {
          const top = answer && controllerOf(answer.object);
          return top?.kind && top.name ? { kind: top.kind, name: top.name, namespace } : direct;
        })
        .catch(() => direct); // a ReplicaSet deleted meanwhile: the pod's own owner is the best answer
      resolved.set(key, lookup);
    }
    return resolved.get(key)!;
  };

  const answer: PodConsumer[] = [];
  for (const { pod, references } of pods) {
    answer.push({ name: pod.metadata?.name ?? '', namespace, workload: (await workloadOf(pod)) ?? null, references });
  }
  answer.sort((a, b) => a.name.localeCompare(b.name));
  // One entry per workload, whether its template, its pods or both use the object.
  const workloads = templates;
  for (const pod of answer) {
    if (!pod.workload) continue;
    const key = `${pod.workload.kind}/${pod.workload.name}`;
    if (!workloads.has(key)) workloads.set(key, { ...pod.workload, pods: [], references: [] });
    workloads.get(key)!.pods.push(pod.name);
  }
  return {
    pods: answer,
    workloads: [...workloads.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name)),
    service_accounts: serviceAccounts.sort((a, b) => a.name.localeCompare(b.name)),
    unreadable: unreadable.sort(),
  };
}
