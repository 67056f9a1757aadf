/**
 * The inventory's items (docs/data-model.md): a cluster's head and one pointer per snapshot (the
 * snapshots themselves are in the blob store), change records sorted by time, and the fleet's image
 * index sorted by image, then cluster. Each keeps its record as JSON in `data`.
 */
import type { ChangeRecord, ImageUse, SnapshotRef } from '#shared/domain/inventory/ports.ts';
import { defineEntity, fields, json } from '../entity.ts';

/** The latest snapshot and when the inventory last looked (rewritten in place when nothing changed). */
export const inventoryHead = defineEntity(
  { entity: 'inventory_head', pk: 'INVENTORY#<clusterId>', sk: 'HEAD' },
  fields<{ checkedAt: string; snapshot: SnapshotRef }>({ checkedAt: 'checked_at', snapshot: json('data') }),
);

export const inventorySnapshot = defineEntity(
  { entity: 'inventory_snapshot', pk: 'INVENTORY#<clusterId>', sk: 'SNAPSHOT#<takenAt>' },
  fields<{ snapshot: SnapshotRef }>({ snapshot: json('data') }),
);

/** The object a change is about: its uid, or (an object without one) kind, namespace and name. */
export const changeSubject = (c: Pick<ChangeRecord, 'uid' | 'kind' | 'namespace' | 'name'>) => c.uid || `${c.kind}/${c.namespace ?? ''}/${c.name}`;

/** A change record, with copies of its kind and namespace (`''` for none) for the list's filters. */
export const inventoryChange = defineEntity(
  { entity: 'inventory_change', pk: 'CHANGES#<clusterId>', sk: '<at>#<subject>' },
  fields<{ change: ChangeRecord }>({
    change: {
      names: ['kind', 'namespace', 'data'],
      write: (c) => ({ kind: c.kind, namespace: c.namespace ?? '', data: JSON.stringify(c) }),
      read: (item) => JSON.parse(item.data as string) as ChangeRecord,
    },
  }),
);

export const imageUse = defineEntity({ entity: 'image_use', pk: 'IMAGES', sk: '<image>#<clusterId>' }, fields<{ use: ImageUse }>({ use: json('data') }));
