import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Role } from '#shared/domain/identity/access.ts';
import type { ApiKeyRecord, ApiKeyRepository } from '#shared/domain/identity/ports.ts';
import type { Page } from '#shared/ports/page.ts';
import type { StoredItem, Table } from '../table.ts';

const keyOf = (id: string) => ({ pk: `APIKEY#${id}`, sk: 'APIKEY' });
const byUser = (userId: string) => `USER#${userId}#APIKEYS`;
// Expired keys stay listable for a while (so their owner sees why they stopped working), then expire.
const KEEP_EXPIRED_SECONDS = 30 * 24 * 3600;

interface ApiKeyItem extends StoredItem {
  id: string;
  user_id: string;
  name: string;
  hash: string;
  prefix: string;
  created_at: string;
  expires?: string;
  last_used_at?: string;
  owner_role?: string;
  owner_password_stamp?: string;
}

const toRecord = (i: ApiKeyItem): ApiKeyRecord => ({
  id: i.id,
  userId: i.user_id,
  name: i.name,
  hash: i.hash,
  prefix: i.prefix,
  createdAt: i.created_at,
  expiresAt: i.expires,
  lastUsedAt: i.last_used_at,
  owner: i.owner_role && i.owner_password_stamp ? { role: i.owner_role as Role, passwordStamp: i.owner_password_stamp } : undefined,
});

/** API keys, found by id (authentication) or by owner (listing). */
export class DynamoApiKeyRepository implements ApiKeyRepository {
  constructor(private readonly table: Table) {}

  async create(k: ApiKeyRecord): Promise<void> {
    await this.table.create({
      ...keyOf(k.id),
      entity: 'api-key',
      gsi1pk: byUser(k.userId),
      gsi1sk: `${k.createdAt}#${k.id}`,
      id: k.id,
      user_id: k.userId,
      name: k.name,
      hash: k.hash,
      prefix: k.prefix,
      created_at: k.createdAt,
      expires: k.expiresAt,
      owner_role: k.owner?.role,
      owner_password_stamp: k.owner?.passwordStamp,
      ttl: k.expiresAt ? Math.floor(Date.parse(k.expiresAt) / 1000) + KEEP_EXPIRED_SECONDS : undefined,
    });
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    const item = await this.table.get<ApiKeyItem>(keyOf(id));
    return item && toRecord(item);
  }

  async listForUser(userId: string, limit: number, cursor?: string): Promise<Page<ApiKeyRecord>> {
    const page = await this.table.query<ApiKeyItem>({ index: 'gsi1', partition: byUser(userId), limit, cursor });
    return { ...page, items: page.items.map(toRecord) };
  }

  async delete(userId: string, id: string): Promise<boolean> {
    const existing = await this.table.get<ApiKeyItem>(keyOf(id), true);
    if (!existing || existing.user_id !== userId) return false;
    return this.table.delete(keyOf(id));
  }

  async touch(id: string, at: string): Promise<void> {
    await this.table.doc
      .send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keyOf(id),
          UpdateExpression: 'SET last_used_at = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': at },
        }),
      )
      .catch(() => undefined); // best effort: a revoked key's last use does not matter
  }

  async deleteAllForUser(userId: string): Promise<string[]> {
    const deleted: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.table.query<ApiKeyItem>({ index: 'gsi1', partition: byUser(userId), limit: 100, cursor });
      const gone = await Promise.all(page.items.map(async (k) => ((await this.table.delete(keyOf(k.id))) ? k.id : undefined)));
      deleted.push(...gone.filter((id) => id !== undefined));
      cursor = page.continue;
    } while (cursor);
    return deleted;
  }
}
