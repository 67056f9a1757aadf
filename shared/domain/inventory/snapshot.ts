/**
 * Taking a cluster's inventory: every object of the common kinds and of each CRD, read a page at
 * a time and kept in short (objects.ts), compared with the previous snapshot, and stored so that
 * a sweep that finds nothing changed writes next to nothing: the snapshot goes to the blob store
 * (gzip) only when something changed, with one change record per object that did.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ClusterRecord } from '#shared/domain/clusters/cluster.ts';
import { withCluster } from '#shared/domain/clusters/live-views.ts';
import { AppError, NotFoundError } from '#shared/domain/errors.ts';
import type { ClusterGateway } from '#shared/ports/cluster-gateway.ts';
import {
  COMMON_KINDS,
  CRD_KIND,
  crdInstances,
  fingerprintOf,
  identityOf,
  inventoryObject,
  WORKLOAD_KINDS,
  type InventoryKind,
  type InventoryObject,
} from './objects.ts';
import { walkPagesIfAllowed } from '../list-pages.ts';
import type { ChangeRecord, ImageUse, InventoryDeps, InventoryHead, SnapshotBlob } from './ports.ts';

/** CRDs whose instances are read; a cluster with more keeps the rest out of its inventory (named in `unreadable`). */
export const MAX_CRD_KINDS = 200;
/** An unchanged snapshot is written again after this long, so the blob store's expiry never takes a cluster's latest one. */
export const SNAPSHOT_REBASE_DAYS = 7;
/** Workloads named per image and cluster in the image index. */
const MAX_IMAGE_WORKLOADS = 20;
const IMAGE_WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);

export interface InventoryOutcome {
  head: InventoryHead;
  /** False when nothing changed since the previous snapshot, which stays the latest. */
  written: boolean;
  changes: number;
}

/** Reads every object of the inventory's kinds, a page at a time, keeping only each one's short form. */
export async function readInventory(gateway: ClusterGateway): Promise<{ objects: InventoryObject[]; unreadable: string[] }> {
  const objects: InventoryObject[] = [];
  const unreadable: string[] = [];
  const crdKinds: InventoryKind[] = [];
  for (const kind of COMMON_KINDS) {
    const read = await walkPagesIfAllowed(gateway, kind.collection, {}, (items) => {
      for (const item of items) {
        objects.push(inventoryObject(kind, item));
        if (kind === CRD_KIND) {
          const instances = crdInstances(item);
          if (instances) crdKinds.push(instances);
        }
      }
    });
    if (!read) unreadable.push(kind.collection.plural);
  }
  for (const [i, kind] of crdKinds.entries()) {
    const name = `${kind.collection.plural}.${kind.collection.group}`;
    if (i >= MAX_CRD_KINDS) {
      unreadable.push(name);
      continue;
    }
    const read = await walkPagesIfAllowed(gateway, kind.collection, {}, (items) => {
      for (const item of items) objects.push(inventoryObject(kind, item));
    });
    if (!read) unreadable.push(name);
  }
  return { objects, unreadable };
}

export const encodeSnapshot = (blob: SnapshotBlob) => gzipSync(JSON.stringify(blob));
export const decodeSnapshot = (bytes: Uint8Array) => JSON.parse(gunzipSync(bytes).toString('utf8')) as SnapshotBlob;

/** Where a snapshot's blob lives: under its cluster, named by its time (no `:` in a key). */
export const snapshotBlobKey = (clusterId: string, takenAt: string) => `inventory/${clusterId}/${takenAt.replace(/:/g, '-')}.json.gz`;

/** Takes the cluster's inventory now, through its circuit breaker (an unreachable cluster throws, and the previous snapshot stays). */
export async function takeInventory(deps: InventoryDeps, cluster: ClusterRecord): Promise<InventoryOutcome> {
  const { objects, unreadable } = await withCluster(deps.clusters, cluster, (gateway) => readInventory(gateway));
  const now = deps.clock.now();
  const takenAt = now.toISOString();
  const fingerprints = new Map(objects.map((o) => [identityOf(o), fingerprintOf(o)]));
  const digest = digestOf(fingerprints, unreadable);
  const previousHead = await deps.store.head(cluster.id);
  const stale = previousHead && now.getTime() - Date.parse(previousHead.taken_at) > SNAPSHOT_REBASE_DAYS * 86_400_000;
  if (previousHead && previousHead.digest === digest && !stale) {
    await deps.store.touch(cluster.id, takenAt);
    return { head: { ...previousHead, checked_at: takenAt }, written: false, changes: 0 };
  }
  const previous = previousHead ? await previousObjects(deps, previousHead.blob_key) : undefined;
  const changes = previous ? changesBetween(cluster.id, takenAt, previous, objects, fingerprints) : [];
  const images = previous
    ? imageChanges(imageUses(cluster, previousHead!.taken_at, previous), imageUses(cluster, takenAt, objects))
    : imageChanges(new Map(), imageUses(cluster, takenAt, objects));
  const counts: Record<string, number> = {};
  for (const o of objects) counts[o.kind] = (counts[o.kind] ?? 0) + 1;
  const head: InventoryHead = {
    cluster_id: cluster.id,
    taken_at: takenAt,
    checked_at: takenAt,
    blob_key: snapshotBlobKey(cluster.id, takenAt),
    object_count: objects.length,
    counts,
    unreadable,
    digest,
  };
  await deps.blobs.put(head.blob_key, encodeSnapshot({ format: 1, cluster_id: cluster.id, taken_at: takenAt, unreadable, objects }), {
    contentType: 'application/gzip',
  });
  await deps.store.saveSnapshot(head, changes, images);
  return { head, written: true, changes: changes.length };
}

/** The objects of a stored snapshot; a blob the store lost means no previous snapshot to compare with. */
async function previousObjects(deps: InventoryDeps, key: string): Promise<InventoryObject[] | undefined> {
  try {
    return decodeSnapshot(await deps.blobs.get(key)).objects;
  } catch (err) {
    if ((err as Error).name === 'BlobNotFoundError') return undefined;
    throw err;
  }
}

/** The snapshot at or before `at` (the latest without it), with its objects. */
export async function inventoryAt(deps: InventoryDeps, clusterId: string, at?: string) {
  const head = await deps.store.head(clusterId);
  const ref = at === undefined || (head && head.taken_at <= at) ? head : await deps.store.snapshotAt(clusterId, at);
  if (!ref || !head)
    throw new NotFoundError(at ? `Cluster ${clusterId} has no inventory snapshot at or before ${at}.` : `Cluster ${clusterId} has no inventory yet.`);
  const blob = decodeSnapshot(await blobOf(deps, ref));
  // The latest snapshot still describes the cluster when the inventory last looked and found nothing changed.
  return { ref, checkedAt: ref.taken_at === head.taken_at ? head.checked_at : ref.taken_at, objects: blob.objects };
}

/**
 * The snapshot's blob. One the blob store no longer has (S3's lifecycle rule expired it, or it was
 * removed) is a 404 of its own: the pointer outlived the blob, and a later time or a refresh answers.
 */
async function blobOf(deps: InventoryDeps, ref: { taken_at: string; blob_key: string }): Promise<Uint8Array> {
  try {
    return await deps.blobs.get(ref.blob_key);
  } catch (err) {
    if ((err as Error).name !== 'BlobNotFoundError') throw err;
    throw new AppError(
      'not_found',
      'SNAPSHOT_EXPIRED',
      `The inventory snapshot taken at ${ref.taken_at} is no longer stored (snapshots are kept 31 days): ask for a later time, or refresh the inventory.`,
    );
  }
}

function digestOf(fingerprints: Map<string, string>, unreadable: string[]): string {
  const hash = createHash('sha256');
  for (const [id, fp] of [...fingerprints].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) hash.update(`${id}=${fp}\n`);
  hash.update(unreadable.join(','));
  return hash.digest('base64url').slice(0, 32);
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** What changed between two snapshots' objects, matched by identity (uid). */
export function changesBetween(
  clusterId: string,
  at: string,
  before: InventoryObject[],
  after: InventoryObject[],
  fingerprints: Map<string, string>,
): ChangeRecord[] {
  const old = new Map(before.map((o) => [identityOf(o), o]));
  const records: ChangeRecord[] = [];
  const record = (
    change: ChangeRecord['change'],
    o: InventoryObject,
    was: InventoryObject | undefined,
    now: InventoryObject | undefined,
    changed: string[],
  ) => {
    const workload = WORKLOAD_KINDS.has(o.kind);
    records.push({
      cluster_id: clusterId,
      at,
      change,
      kind: o.kind,
      api_version: o.api_version,
      namespace: o.namespace,
      name: o.name,
      uid: o.uid,
      changed,
      old_images: workload && was ? was.images : null,
      new_images: workload && now ? now.images : null,
      old_status: was?.status ?? null,
      new_status: now?.status ?? null,
    });
  };
  for (const o of after) {
    const id = identityOf(o);
    const was = old.get(id);
    old.delete(id);
    if (!was) record('added', o, undefined, o, []);
    else if (fingerprintOf(was) !== fingerprints.get(id)) {
      const changed = [
        ...(sameList(was.images, o.images) ? [] : ['images']),
        ...(JSON.stringify(was.labels) === JSON.stringify(o.labels) ? [] : ['labels']),
        ...(JSON.stringify(was.owner) === JSON.stringify(o.owner) ? [] : ['owner']),
        ...(was.status === o.status ? [] : ['status']),
      ];
      record('modified', o, was, o, changed);
    }
  }
  for (const was of old.values()) record('removed', was, was, undefined, []);
  return records;
}

/** Which images one snapshot's objects run, per image. */
export function imageUses(cluster: ClusterRecord, takenAt: string, objects: InventoryObject[]): Map<string, ImageUse> {
  const uses = new Map<string, ImageUse>();
  for (const o of objects) {
    for (const image of o.images) {
      let use = uses.get(image);
      if (!use)
        uses.set(image, (use = { image, cluster_id: cluster.id, cluster_name: cluster.name, taken_at: takenAt, pods: 0, workloads: [], workload_count: 0 }));
      if (o.kind === 'Pod') use.pods++;
      else if (IMAGE_WORKLOAD_KINDS.has(o.kind)) {
        use.workload_count++;
        if (use.workloads.length < MAX_IMAGE_WORKLOADS) use.workloads.push({ kind: o.kind, namespace: o.namespace, name: o.name });
      }
    }
  }
  for (const use of uses.values()) use.workloads.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  return uses;
}

/** The image entries to write: those whose use changed (a new snapshot time alone is no change), and those gone. */
function imageChanges(before: Map<string, ImageUse>, after: Map<string, ImageUse>): Array<{ image: string; after?: ImageUse }> {
  const same = (a: ImageUse, b: ImageUse) =>
    a.cluster_name === b.cluster_name &&
    a.pods === b.pods &&
    a.workload_count === b.workload_count &&
    JSON.stringify(a.workloads) === JSON.stringify(b.workloads);
  const out: Array<{ image: string; after?: ImageUse }> = [];
  for (const [image, use] of after) {
    const was = before.get(image);
    if (!was || !same(was, use)) out.push({ image, after: use });
  }
  for (const image of before.keys()) if (!after.has(image)) out.push({ image });
  return out;
}
