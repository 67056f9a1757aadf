import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { changeSubject, imageUse, inventoryChange, inventoryHead, inventorySnapshot } from '#shared/data/entities/inventory.ts';
import type { ChangeQuery, ChangeRecord, ImageUse, InventoryHead, InventoryStore, SnapshotRef } from '#shared/domain/inventory/ports.ts';
import type { Page } from '#shared/ports/page.ts';
import type { Table } from '../table.ts';

/** Snapshots and change records are kept this long (TTL); the latest snapshot is rewritten weekly, so it never expires. */
export const INVENTORY_RETENTION_DAYS = 30;

const headKey = (clusterId: string) => inventoryHead.key({ clusterId });
const IMAGE_PARTITION = imageUse.partition({});

/** Writes in flight at once while a snapshot's records are stored. */
const PARALLEL_WRITES = 16;

const expiry = (at: string) => Math.floor(Date.parse(at) / 1000) + INVENTORY_RETENTION_DAYS * 86_400;

/**
 * The inventory's items: a head and one item per snapshot under `INVENTORY#<cluster>`, change
 * records under `CHANGES#<cluster>` (sorted by time), and the fleet's image index in `IMAGES`
 * (sorted by image, then cluster). The snapshots' objects are in the blob store, never here.
 */
export class DynamoInventoryStore implements InventoryStore {
  constructor(private readonly table: Table) {}

  async head(clusterId: string): Promise<InventoryHead | undefined> {
    const item = await this.table.get(headKey(clusterId), true);
    if (!item) return undefined;
    const { snapshot, checkedAt } = inventoryHead.read(item);
    return { ...snapshot, checked_at: checkedAt };
  }

  async snapshotAt(clusterId: string, at: string): Promise<SnapshotRef | undefined> {
    const page = await this.table.query({
      partition: inventorySnapshot.partition({ clusterId }),
      between: [inventorySnapshot.sk.prefix, inventorySnapshot.sk.fill({ takenAt: at })],
      newestFirst: true,
      limit: 1,
    });
    return page.items[0] && inventorySnapshot.read(page.items[0]).snapshot;
  }

  async saveSnapshot(head: InventoryHead, changes: ChangeRecord[], images: Array<{ image: string; after?: ImageUse }>): Promise<void> {
    const { checked_at: _checked, ...ref } = head;
    const writes: Array<() => Promise<unknown>> = [
      ...changes.map(
        (c) => () =>
          this.table.put({
            ...inventoryChange.item({ clusterId: c.cluster_id, at: c.at, subject: changeSubject(c), change: c }),
            version: 1,
            ttl: expiry(c.at),
          }),
      ),
      ...images.map(({ image, after }) =>
        after
          ? () => this.table.put({ ...imageUse.item({ image, clusterId: head.cluster_id, use: after }), version: 1 })
          : () => this.table.delete(imageUse.key({ image, clusterId: head.cluster_id })),
      ),
      () =>
        this.table.put({
          ...inventorySnapshot.item({ clusterId: head.cluster_id, takenAt: head.taken_at, snapshot: ref }),
          version: 1,
          ttl: expiry(head.taken_at),
        }),
    ];
    // Single-item writes, a few at a time: each is authorized by its own key (LeadingKeys), which BatchWriteItem is not granted.
    for (let i = 0; i < writes.length; i += PARALLEL_WRITES) await Promise.all(writes.slice(i, i + PARALLEL_WRITES).map((write) => write()));
    // The head last: a reader never finds it pointing at a snapshot whose changes are not written yet.
    await this.table.put({ ...inventoryHead.item({ clusterId: head.cluster_id, checkedAt: head.checked_at, snapshot: ref }), version: 1 });
  }

  async touch(clusterId: string, checkedAt: string): Promise<void> {
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: headKey(clusterId),
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
    const page = await this.table.query({
      partition: inventoryChange.partition({ clusterId }),
      // `<until>#~` sorts after every `<until>#<uid>`, so changes found at exactly `until` are in.
      between: [query.since, inventoryChange.sk.fill({ at: query.until, subject: '~' })],
      newestFirst: true,
      limit,
      cursor,
      ...(conditions.length ? { filter: { expression: conditions.join(' AND '), names, values } } : {}),
    });
    return { items: page.items.map((i) => inventoryChange.read(i).change), ...(page.continue ? { continue: page.continue } : {}) };
  }

  async images(prefix: string | undefined, limit: number, cursor?: string): Promise<Page<ImageUse>> {
    const page = await this.table.query({ partition: IMAGE_PARTITION, ...(prefix ? { beginsWith: prefix } : {}), limit, cursor });
    return { items: page.items.map((i) => imageUse.read(i).use), ...(page.continue ? { continue: page.continue } : {}) };
  }
}
