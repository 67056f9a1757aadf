import { syncOperation } from '#shared/data/entities/environments.ts';
import { ConflictError } from '#shared/domain/errors.ts';
import type { SyncHistoryFilter, SyncHistoryStore, SyncKind, SyncRecord } from '#shared/domain/environments/records.ts';
import type { Page } from '#shared/ports/page.ts';
import type { StoredItem, Table } from '../table.ts';

/** Sync history in the one table: an item per sync, each kind's newest first on gsi1. */
export class DynamoSyncHistory implements SyncHistoryStore {
  constructor(private readonly table: Table) {}

  async record(sync: SyncRecord): Promise<void> {
    await this.table.create(syncOperation.item(sync), `Sync ${sync.id} is already recorded.`);
  }

  async get(id: string): Promise<SyncRecord | undefined> {
    const item = await this.table.get(syncOperation.key({ id }), true);
    return item && syncOperation.holds(item) ? syncOperation.read(item) : undefined;
  }

  async list(kind: SyncKind, filter: SyncHistoryFilter, limit: number, cursor?: string): Promise<Page<SyncRecord>> {
    // `until` is a time: every sort key of that time (`<at>#<id>`) is within the range too.
    const range: [string, string] | undefined = filter.since || filter.until ? [filter.since ?? '0000', `${filter.until ?? '9999'}#~`] : undefined;
    const page = await this.table.query<StoredItem>({
      index: 'gsi1',
      partition: syncOperation.indexPartition('gsi1', { kind }),
      between: range,
      newestFirst: true,
      limit,
      cursor,
    });
    return { items: page.items.map((i) => syncOperation.read(i)), ...(page.continue ? { continue: page.continue } : {}) };
  }

  async markRolledBack(id: string): Promise<void> {
    const [state] = syncOperation.attributeNames('state');
    const out = await this.table.updateItem(syncOperation.key({ id }), {
      update: 'SET #s = :rolled',
      condition: 'attribute_exists(pk) AND #s <> :rolled',
      names: { '#s': state! },
      values: { ':rolled': 'rolled_back' },
    });
    if (!out.applied) throw new ConflictError(`Sync ${id} was already rolled back.`, 'ALREADY_ROLLED_BACK');
  }
}
