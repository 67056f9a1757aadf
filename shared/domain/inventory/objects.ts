/**
 * What the inventory keeps of an object: who it is, what it runs and a one-line status. Kinds are
 * data (Backstage's ObjectToFetch): the common ones below, and every CRD's instances found from
 * the cluster's CustomResourceDefinitions.
 */
import { createHash } from 'node:crypto';
import type { KubernetesObject, ResourceCollection } from '#shared/ports/cluster-gateway.ts';
import { asArray, asNumber, asString, field } from './json-fields.ts';

export interface InventoryKind {
  kind: string;
  collection: ResourceCollection;
}

const core = (kind: string, plural: string): InventoryKind => ({ kind, collection: { group: '', version: 'v1', plural } });
const grouped = (kind: string, group: string, version: string, plural: string): InventoryKind => ({ kind, collection: { group, version, plural } });

export const CRD_KIND = grouped('CustomResourceDefinition', 'apiextensions.k8s.io', 'v1', 'customresourcedefinitions');

/** The kinds every cluster has. Secrets are left out: the inventory never lists their values to learn their names. */
export const COMMON_KINDS: InventoryKind[] = [
  core('Namespace', 'namespaces'),
  core('Node', 'nodes'),
  core('Pod', 'pods'),
  core('Service', 'services'),
  core('ConfigMap', 'configmaps'),
  core('ServiceAccount', 'serviceaccounts'),
  core('PersistentVolumeClaim', 'persistentvolumeclaims'),
  core('PersistentVolume', 'persistentvolumes'),
  grouped('Deployment', 'apps', 'v1', 'deployments'),
  grouped('ReplicaSet', 'apps', 'v1', 'replicasets'),
  grouped('StatefulSet', 'apps', 'v1', 'statefulsets'),
  grouped('DaemonSet', 'apps', 'v1', 'daemonsets'),
  grouped('Job', 'batch', 'v1', 'jobs'),
  grouped('CronJob', 'batch', 'v1', 'cronjobs'),
  grouped('Ingress', 'networking.k8s.io', 'v1', 'ingresses'),
  CRD_KIND,
];

/** Kinds whose change of image is news: the old and new images go into their change records. */
export const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);

/** Bounds on what one object may make the inventory keep, whatever a hostile cluster sends. */
const MAX_LABELS = 64;
const MAX_TEXT = 256;
const MAX_IMAGES = 32;

export interface InventoryObject {
  kind: string;
  api_version: string;
  namespace: string | null;
  name: string;
  uid: string;
  labels: Record<string, string>;
  owner: { kind: string; name: string } | null;
  images: string[];
  resource_version: string;
  status: string | null;
}

const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, MAX_TEXT) : undefined);

/** The instances of a CRD, at its storage version (or its first served one); undefined for a CRD that serves none. */
export function crdInstances(crd: KubernetesObject): InventoryKind | undefined {
  const group = asString(field(crd, 'spec', 'group'));
  const plural = asString(field(crd, 'spec', 'names', 'plural'));
  const kind = asString(field(crd, 'spec', 'names', 'kind'));
  const versions = asArray(field(crd, 'spec', 'versions')).filter((v) => field(v, 'served') === true);
  const version = asString(field(versions.find((v) => field(v, 'storage') === true) ?? versions[0], 'name'));
  if (!group || !plural || !kind || !version) return undefined;
  return { kind, collection: { group, version, plural } };
}

/** The images an object's pod template (or the pod itself) runs, init containers included. */
export function imagesOf(kind: string, object: KubernetesObject): string[] {
  const spec =
    kind === 'Pod'
      ? field(object, 'spec')
      : kind === 'CronJob'
        ? field(object, 'spec', 'jobTemplate', 'spec', 'template', 'spec')
        : field(object, 'spec', 'template', 'spec');
  if (spec === undefined) return [];
  const images = [...asArray(field(spec, 'initContainers')), ...asArray(field(spec, 'containers'))]
    .map((c) => text(field(c, 'image')))
    .filter((i): i is string => !!i);
  return [...new Set(images)].slice(0, MAX_IMAGES);
}

const readyCondition = (object: KubernetesObject) => {
  const ready = asArray(field(object, 'status', 'conditions')).find((c) => field(c, 'type') === 'Ready');
  return ready === undefined ? null : field(ready, 'status') === 'True' ? 'Ready' : 'NotReady';
};

/** One line a person reads at a glance; what changes often but says nothing (heartbeats, restart counts) is left out. */
export function statusOf(kind: string, object: KubernetesObject): string | null {
  const s = (path: string[], fallback = 0) => asNumber(field(object, 'status', ...path), fallback);
  const desired = asNumber(field(object, 'spec', 'replicas'), 1);
  switch (kind) {
    case 'Pod': {
      const statuses = asArray(field(object, 'status', 'containerStatuses'));
      const waiting = statuses.map((c) => text(field(c, 'state', 'waiting', 'reason'))).find(Boolean);
      const ready = statuses.filter((c) => field(c, 'ready') === true).length;
      return `${text(field(object, 'status', 'phase')) ?? 'Unknown'}${waiting ? ` (${waiting})` : ''}, ${ready}/${statuses.length} ready`;
    }
    case 'Deployment':
      return `${s(['availableReplicas'])}/${desired} available`;
    case 'ReplicaSet':
    case 'StatefulSet':
      return `${s(['readyReplicas'])}/${desired} ready`;
    case 'DaemonSet':
      return `${s(['numberReady'])}/${s(['desiredNumberScheduled'])} ready`;
    case 'Job': {
      const conditions = asArray(field(object, 'status', 'conditions')).filter((c) => field(c, 'status') === 'True');
      const done = conditions.map((c) => text(field(c, 'type'))).find((t) => t === 'Complete' || t === 'Failed');
      return done ?? (field(object, 'spec', 'suspend') === true ? 'Suspended' : 'Running');
    }
    case 'CronJob':
      return field(object, 'spec', 'suspend') === true ? 'Suspended' : `${asArray(field(object, 'status', 'active')).length} active`;
    case 'Node':
      return readyCondition(object) ?? 'Unknown';
    case 'Namespace':
    case 'PersistentVolumeClaim':
    case 'PersistentVolume':
      return text(field(object, 'status', 'phase')) ?? null;
    case 'Service':
      return text(field(object, 'spec', 'type')) ?? 'ClusterIP';
    default:
      return readyCondition(object);
  }
}

/** What the inventory keeps of one object. */
export function inventoryObject(kind: InventoryKind, object: KubernetesObject): InventoryObject {
  const { group, version } = kind.collection;
  const labels: Record<string, string> = {};
  const given = field(object, 'metadata', 'labels');
  if (typeof given === 'object' && given !== null) {
    for (const [k, v] of Object.entries(given).slice(0, MAX_LABELS)) if (typeof v === 'string') labels[k.slice(0, MAX_TEXT)] = v.slice(0, MAX_TEXT);
  }
  const owners = asArray(field(object, 'metadata', 'ownerReferences'));
  const owner = owners.find((o) => field(o, 'controller') === true) ?? owners[0];
  const ownerKind = text(field(owner, 'kind'));
  const ownerName = text(field(owner, 'name'));
  return {
    kind: kind.kind,
    api_version: group ? `${group}/${version}` : version,
    namespace: text(field(object, 'metadata', 'namespace')) ?? null,
    name: text(field(object, 'metadata', 'name')) ?? '',
    uid: text(field(object, 'metadata', 'uid')) ?? '',
    labels,
    owner: ownerKind && ownerName ? { kind: ownerKind, name: ownerName } : null,
    images: imagesOf(kind.kind, object),
    resource_version: text(field(object, 'metadata', 'resourceVersion')) ?? '',
    status: statusOf(kind.kind, object),
  };
}

/** Who an object is across snapshots: its uid (a deleted and recreated object is a new one), else its kind and name. */
export const identityOf = (o: InventoryObject) => o.uid || `${o.api_version}/${o.kind}/${o.namespace ?? ''}/${o.name}`;

/** A digest of what a person would call a change: everything but the resourceVersion, which moves on every status heartbeat. */
export function fingerprintOf(o: InventoryObject): string {
  const { resource_version: _rv, ...meaningful } = o;
  const labels = Object.keys(meaningful.labels)
    .sort()
    .map((k) => [k, meaningful.labels[k]]);
  return createHash('sha256')
    .update(
      JSON.stringify([
        meaningful.kind,
        meaningful.api_version,
        meaningful.namespace,
        meaningful.name,
        labels,
        meaningful.owner,
        meaningful.images,
        meaningful.status,
      ]),
    )
    .digest('base64url')
    .slice(0, 16);
}
