import { apiKey } from '#shared/data/entities/identity.ts';
import type { ApiKeyRecord, ApiKeyRepository } from '#shared/domain/identity/ports.ts';
import type { Page } from '#shared/ports/page.ts';
import type { StoredItem, Table } from '../table.ts';

const keyOf = (id: string) => apiKey.key({ id });
const byUser = (userId: string) => apiKey.indexPartition('gsi1', { userId });

/** API keys, found by id (authentication) or by owner (listing). */
export class DynamoApiKeyRepository implements ApiKeyRepository {
  constructor(private readonly table: Table) {}

  async create(k: ApiKeyRecord): Promise<void> {
    await this.table.create(apiKey.item(k));
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    const item = await this.table.get(keyOf(id));
    return item && apiKey.read(item);
  }

  async listForUser(userId: string, limit: number, cursor?: string): Promise<Page<ApiKeyRecord>> {
    const page = await this.table.query<StoredItem>({ index: 'gsi1', partition: byUser(userId), limit, cursor });
    return { ...page, items: page.items.map((i) => apiKey.read(i)) };
  }

  async delete(userId: string, id: string): Promise<boolean> {
    const existing = await this.table.get(keyOf(id), true);
    if (!existing || apiKey.read(existing).userId !== userId) return false;
    return this.table.delete(keyOf(id));
  }

  async touch(id: string, at: string): Promise<void> {
    await this.table
      .updateItem(keyOf(id), { update: 'SET last_used_at = :at', condition: 'attribute_exists(pk)', values: { ':at': at } })
      .catch(() => undefined); // best effort: a revoked key's last use does not matter
  }

  async deleteAllForUser(userId: string): Promise<string[]> {
    const deleted: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.table.query<StoredItem>({ index: 'gsi1', partition: byUser(userId), limit: 100, cursor });
      const keys = page.items.map((i) => apiKey.read(i));
      const gone = await Promise.all(keys.map(async (k) => ((await this.table.delete(keyOf(k.id))) ? k.id : undefined)));
      deleted.push(...gone.filter((id) => id !== undefined));
      cursor = page.continue;
    } while (cursor);
    return deleted;
  }
}
