import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SessionRecord, SessionRepository } from '#shared/domain/identity/ports.ts';
import type { StoredItem, Table } from '../table.ts';

const sessionKey = (id: string) => ({ pk: `SESSION#${id}`, sk: 'SESSION' });

interface SessionItem extends StoredItem {
  id: string;
  user_id: string;
  refresh_hash: string;
  previous_hashes?: string[];
  revoked: boolean;
  created_at: string;
  expires: string;
  ttl: number;
}

const toRecord = (i: SessionItem): SessionRecord => ({
  id: i.id,
  userId: i.user_id,
  refreshHash: i.refresh_hash,
  previousHashes: i.previous_hashes ?? [],
  revoked: i.revoked,
  createdAt: i.created_at,
  expiresAt: i.expires,
});

/** Login sessions; each row is a refresh-token family, found by id or by user. */
export class DynamoSessionRepository implements SessionRepository {
  constructor(private readonly table: Table) {}

  async create(s: SessionRecord): Promise<void> {
    await this.table.create({
      ...sessionKey(s.id),
      entity: 'session',
      gsi1pk: `USER#${s.userId}#SESSIONS`,
      gsi1sk: `${s.createdAt}#${s.id}`,
      id: s.id,
      user_id: s.userId,
      refresh_hash: s.refreshHash,
      revoked: false,
      created_at: s.createdAt,
      expires: s.expiresAt,
      ttl: Math.floor(Date.parse(s.expiresAt) / 1000),
    });
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const item = await this.table.get<SessionItem>(sessionKey(id), true);
    return item && toRecord(item);
  }

  async rotate(id: string, expectedHash: string, newHash: string, previousHashes: string[]): Promise<boolean> {
    try {
      // Only rotate writes previous_hashes, always under this condition: the list the caller read
      // with `expectedHash` is still the stored one.
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: sessionKey(id),
          UpdateExpression: 'SET refresh_hash = :new, previous_hashes = :previous',
          ConditionExpression: 'refresh_hash = :expected AND revoked = :no',
          ExpressionAttributeValues: { ':new': newHash, ':previous': previousHashes, ':expected': expectedHash, ':no': false },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async revoke(id: string): Promise<void> {
    await this.table.doc
      .send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: sessionKey(id),
          UpdateExpression: 'SET revoked = :yes',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':yes': true },
        }),
      )
      .catch((err) => {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
      });
  }

  async revokeAllForUser(userId: string, keep?: string): Promise<number> {
    let revoked = 0;
    let cursor: string | undefined;
    do {
      const page = await this.table.query<SessionItem>({
        index: 'gsi1',
        partition: `USER#${userId}#SESSIONS`,
        limit: 100,
        cursor,
        filter: { expression: 'revoked = :no', values: { ':no': false } },
      });
      const targets = page.items.filter((s) => s.id !== keep);
      await Promise.all(targets.map((s) => this.revoke(s.id)));
      revoked += targets.length;
      cursor = page.continue;
    } while (cursor);
    return revoked;
  }
}
