import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ChangeQuery, ChangeRecord, ImageUse, InventoryHead, InventoryStore, SnapshotRef } from '#shared/domain/inventory/ports.ts';
import type { Page } from '#shared/ports/page.ts';
import type { StoredItem, Table } from '../table.ts';

/** Snapshots and change records are kept this long (TTL); the latest snapshot is rewritten weekly, so it never expires. */
export const INVENTORY_RETENTION_DAYS = 30;

export const inventoryHeadKey = (clusterId: string) => ({ pk: `INVENTORY#${clusterId}`, sk: 'HEAD' });
export const snapshotKey = (clusterId: string, takenAt: string) => ({ pk: `INVENTORY#${clusterId}`, sk: `SNAPSHOT#${takenAt}` });
export const changeKey = (change: Pick<ChangeRecord, 'cluster_id' | 'at' | 'uid' | 'kind' | 'namespace' | 'name'>) => ({
  pk: `CHANGES#${change.cluster_id}`,
  sk: `${change.at}#${change.uid || `${change.kind}/${change.namespace ?? ''}/${change.name}`}`,
});
export const imageKey = (image: string, clusterId: string) => ({ pk: IMAGE_PARTITION, sk: `${image}#${clusterId}` });
const IMAGE_PARTITION = 'IMAGES';

/** Writes in flight at once while a snapshot's records are stored. */
const PARALLEL_WRITES = 16;

interface JsonItem extends StoredItem {
  data: string;
}

const expiry = (at: string) => Math.floor(Date.parse(at) / 1000) + INVENTORY_RETENTION_DAYS * 86_400;

/**
 * The inventory's items: a head and one item per snapshot under `INVENTORY#<cluster>`, change
 * records under `CHANGES#<cluster>` (sorted by time), and the fleet's image index in `IMAGES`
 * (sorted by image, then cluster). The snapshots' objects are in the blob store, never here.
 */
export class DynamoInventoryStore implements InventoryStore {
  constructor(private readonly table: Table) {}

  async head(clusterId: string): Promise<InventoryHead | undefined> {
    const item = await this.table.get<JsonItem & { checked_at: string }>(inventoryHeadKey(clusterId), true);
    return item ? { ...(JSON.parse(item.data) as SnapshotRef), checked_at: item.checked_at } : undefined;
  }

  async snapshotAt(clusterId: string, at: string): Promise<SnapshotRef | undefined> {
    const { pk } = inventoryHeadKey(clusterId);
    const page = await this.table.query<JsonItem>({ partition: pk, between: ['SNAPSHOT#', `SNAPSHOT#${at}`], newestFirst: true, limit: 1 });
    return page.items[0] ? (JSON.parse(page.items[0].data) as SnapshotRef) : undefined;
  }

  async saveSnapshot(head: InventoryHead, changes: ChangeRecord[], images: Array<{ image: string; after?: ImageUse }>): Promise<void> {
    const { checked_at: _checked, ...ref } = head;
    const writes: Array<() => Promise<unknown>> = [
      ...changes.map(
        (c) => () =>
          this.table.put({
            ...changeKey(c),
            entity: 'inventory_change',
            version: 1,
            kind: c.kind,
            namespace: c.namespace ?? '',
            data: JSON.stringify(c),
            ttl: expiry(c.at),
          }),
      ),
      ...images.map(({ image, after }) =>
        after
          ? () => this.table.put({ ...imageKey(image, head.cluster_id), entity: 'image_use', version: 1, data: JSON.stringify(after) })
          : () => this.table.delete(imageKey(image, head.cluster_id)),
      ),
      () =>
        this.table.put({
          ...snapshotKey(head.cluster_id, head.taken_at),
          entity: 'inventory_snapshot',
          version: 1,
          data: JSON.stringify(ref),
          ttl: expiry(head.taken_at),
        }),
    ];
    // Single-item writes, a few at a time: each is authorized by its own key (LeadingKeys), which BatchWriteItem is not granted.
    for (let i = 0; i < writes.length; i += PARALLEL_WRITES) await Promise.all(writes.slice(i, i + PARALLEL_WRITES).map((write) => write()));
    // The head last: a reader never finds it pointing at a snapshot whose changes are not written yet.
    await this.table.put({
      ...inventoryHeadKey(head.cluster_id),
      entity: 'inventory_head',
      version: 1,
      checked_at: head.checked_at,
      data: JSON.stringify(ref),
    });
  }

  async touch(clusterId: string, checkedAt: string): Promise<void> {
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: inventoryHeadKey(clusterId),
          UpdateExpression: 'SET checked_at = :at',
          ConditionExpression: 'attribute_exists(pk) AND checked_at < :at',
          ExpressionAttributeValues: { ':at': checkedAt },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }

  async changes(clusterId: string, query: ChangeQuery, limit: number, cursor?: string): Promise<Page<ChangeRecord>> {
    const conditions: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    if (query.kind !== undefined) {
      conditions.push('#kind = :kind');
      names['#kind'] = 'kind';
      values[':kind'] = query.kind;
    }
    if (query.namespace !== undefined) {
      conditions.push('#ns = :ns');
      names['#ns'] = 'namespace';
      values[':ns'] = query.namespace;
    }
    const page = await this.table.query<JsonItem>({
      partition: `CHANGES#${clusterId}`,
      // `#~` sorts after every `#<uid>`, so changes found at exactly `until` are in.
      between: [query.since, `${query.until}#~`],
      newestFirst: true,
      limit,
      cursor,
      ...(conditions.length ? { filter: { expression: conditions.join(' AND '), names, values } } : {}),
    });
    return { items: page.items.map((i) => JSON.parse(i.data) as ChangeRecord), ...(page.continue ? { continue: page.continue } : {}) };
  }

  async images(prefix: string | undefined, limit: number, cursor?: string): Promise<Page<ImageUse>> {
    const page = await this.table.query<JsonItem>({ partition: IMAGE_PARTITION, ...(prefix ? { beginsWith: prefix } : {}), limit, cursor });
    return { items: page.items.map((i) => JSON.parse(i.data) as ImageUse), ...(page.continue ? { continue: page.continue } : {}) };
  }
}
