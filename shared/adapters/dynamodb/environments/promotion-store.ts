import { promotion } from '#shared/data/entities/environments.ts';
import type { PromotionChanges, PromotionRecord, PromotionStore } from '#shared/domain/environments/records.ts';
import type { Page } from '#shared/ports/page.ts';
import type { StoredItem, Table } from '../table.ts';

const read = (item: Record<string, unknown>): PromotionRecord => ({ ...promotion.read(item), version: item.version as number });

/** Promotions in the one table; every decision is a versioned update, so two approvers cannot both decide. */
export class DynamoPromotionStore implements PromotionStore {
  constructor(private readonly table: Table) {}

  async create(record: Omit<PromotionRecord, 'version'>): Promise<PromotionRecord> {
    return read(await this.table.create(promotion.item(record), `Promotion ${record.id} exists.`));
  }

  async get(id: string): Promise<PromotionRecord | undefined> {
    const item = await this.table.get(promotion.key({ id }), true);
    return item && promotion.holds(item) ? read(item) : undefined;
  }

  async list(limit: number, cursor?: string): Promise<Page<PromotionRecord>> {
    const page = await this.table.query<StoredItem>({ index: 'gsi1', partition: promotion.indexPartition('gsi1', {}), newestFirst: true, limit, cursor });
    return { items: page.items.map(read), ...(page.continue ? { continue: page.continue } : {}) };
  }

  async update(record: PromotionRecord, changes: PromotionChanges): Promise<PromotionRecord> {
    const all = promotion.write(changes);
    const attributes = Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined && v !== null));
    return read(await this.table.update(promotion.key({ id: record.id }), attributes, record.version));
  }
}
