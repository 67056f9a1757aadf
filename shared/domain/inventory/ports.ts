import type { ClusterDeps } from '#shared/domain/clusters/cluster-deps.ts';
import type { BlobStore } from '#shared/ports/blob-store.ts';
import type { Clock } from '#shared/ports/clock.ts';
import type { Page } from '#shared/ports/page.ts';
import type { InventoryObject } from './objects.ts';

/** A snapshot as the table points at it; its objects are in the blob store. */
export interface SnapshotRef {
  cluster_id: string;
  taken_at: string;
  blob_key: string;
  object_count: number;
  /** Objects by kind. */
  counts: Record<string, number>;
  /** Kinds the hub's credential may not list (left out of the snapshot). */
  unreadable: string[];
  /** A digest of every object's fingerprint: equal digests, nothing changed. */
  digest: string;
}

/** The cluster's latest snapshot and when the inventory last looked (it writes no snapshot when nothing changed). */
export interface InventoryHead extends SnapshotRef {
  checked_at: string;
}

export const CHANGE_TYPES = ['added', 'modified', 'removed'] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

export interface ChangeRecord {
  cluster_id: string;
  /** The snapshot that found the change. */
  at: string;
  change: ChangeType;
  kind: string;
  api_version: string;
  namespace: string | null;
  name: string;
  uid: string;
  /** Which parts changed (modified only): images, labels, owner, status. */
  changed: string[];
  /** Workloads and pods: the images before and after (null before it was added or after it was removed). */
  old_images: string[] | null;
  new_images: string[] | null;
  old_status: string | null;
  new_status: string | null;
}

/** Which objects of one cluster run an image, as its latest snapshot says. */
export interface ImageUse {
  image: string;
  cluster_id: string;
  cluster_name: string;
  /** The snapshot it comes from. */
  taken_at: string;
  pods: number;
  /** Workloads (not pods or ReplicaSets) that declare the image, the first few. */
  workloads: Array<{ kind: string; namespace: string | null; name: string }>;
  workload_count: number;
}

export interface ChangeQuery {
  since: string;
  until: string;
  kind?: string;
  namespace?: string;
}

/** The table's side of the inventory: pointers to snapshots, change records and the fleet's image index. */
export interface InventoryStore {
  head(clusterId: string): Promise<InventoryHead | undefined>;
  /** The snapshot taken at or before `at`, the newest such. */
  snapshotAt(clusterId: string, at: string): Promise<SnapshotRef | undefined>;
  /**
   * Points the cluster at a new snapshot (its blob already written): the head, the snapshot's item,
   * the changes since the previous one and the image entries that changed (absent `after`: removed).
   */
  saveSnapshot(head: InventoryHead, changes: ChangeRecord[], images: Array<{ image: string; after?: ImageUse }>): Promise<void>;
  /** Records that the inventory looked at `checkedAt` and found nothing changed: one small write. */
  touch(clusterId: string, checkedAt: string): Promise<void>;
  changes(clusterId: string, query: ChangeQuery, limit: number, cursor?: string): Promise<Page<ChangeRecord>>;
  /** Image entries whose image starts with `prefix` (all without one), by image then cluster. */
  images(prefix: string | undefined, limit: number, cursor?: string): Promise<Page<ImageUse>>;
}

export interface InventoryDeps {
  clusters: ClusterDeps;
  store: InventoryStore;
  blobs: BlobStore;
  clock: Clock;
}

/** What the blob of a snapshot holds (gzip of this JSON). */
export interface SnapshotBlob {
  format: 1;
  cluster_id: string;
  taken_at: string;
  unreadable: string[];
  objects: InventoryObject[];
}
