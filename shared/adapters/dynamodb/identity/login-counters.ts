import { ConditionalCheckFailedException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { LoginCounter, LoginCounterState, LoginCounterStore } from '#shared/domain/identity/ports.ts';
import type { StoredItem, Table } from '../table.ts';

// Keys (docs/data-model.md): an account's counters share the partition LOGIN#<account>, so an
// admin's unlock clears them with one query; a source's counter over every account stands alone.
const loginPartition = (account: string) => `LOGIN#${account}`;
const counterKey = (c: LoginCounter) => {
  switch (c.kind) {
    case 'source':
      return { pk: `LOGINSOURCE#${c.source}`, sk: 'LOGINSOURCE' };
    case 'source-on-account':
      return { pk: loginPartition(c.account), sk: `SOURCE#${c.source}` };
    case 'account':
      return { pk: loginPartition(c.account), sk: 'ACCOUNT' };
  }
};

const ENTITY = 'login-counter';

/** The state of a counter from the item a refused condition returned (still in wire format). */
function stateOf(item: Record<string, AttributeValue> | undefined): LoginCounterState | undefined {
  if (!item?.attempts?.N || !item.expires_at?.N) return undefined;
  return { count: Number(item.attempts.N), expiresAt: Number(item.expires_at.N), nextAt: item.next_at?.N === undefined ? undefined : Number(item.next_at.N) };
}

/**
 * Login attempt counters: one conditional write counts an attempt or refuses it, so every
 * instance sees the same counts and parallel attempts count one each. Items expire through TTL.
 */
export class DynamoLoginCounterStore implements LoginCounterStore {
  constructor(private readonly table: Table) {}

  async count(counter: LoginCounter, max: number, now: number, expiresAt: number) {
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: counterKey(counter),
          UpdateExpression: 'ADD attempts :one SET expires_at = :expires, #ttl = :expires, entity = :entity',
          ConditionExpression: 'attribute_not_exists(attempts) OR (attempts < :max AND expires_at > :now)',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':one': 1, ':max': max, ':now': now, ':expires': expiresAt, ':entity': ENTITY },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { counted: true as const };
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return { counted: false as const, state: stateOf(err.Item) };
      throw err;
    }
  }

  async replace(counter: LoginCounter, observed: LoginCounterState, next: LoginCounterState): Promise<boolean> {
    const item: Omit<StoredItem, 'version'> = {
      ...counterKey(counter),
      entity: ENTITY,
      attempts: next.count,
      expires_at: next.expiresAt,
      ttl: next.expiresAt,
      ...(next.nextAt === undefined ? {} : { next_at: next.nextAt }),
    };
    const sameNextAt = observed.nextAt === undefined ? 'attribute_not_exists(next_at)' : 'next_at = :nextAt';
    try {
      await this.table.doc.send(
        new PutCommand({
          TableName: this.table.name,
          Item: item,
          ConditionExpression: `attempts = :count AND expires_at = :expires AND ${sameNextAt}`,
          ExpressionAttributeValues: {
            ':count': observed.count,
            ':expires': observed.expiresAt,
            ...(observed.nextAt === undefined ? {} : { ':nextAt': observed.nextAt }),
          },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async release(counter: LoginCounter): Promise<void> {
    await this.table.doc
      .send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: counterKey(counter),
          UpdateExpression: 'ADD attempts :minusOne',
          ConditionExpression: 'attempts > :zero',
          ExpressionAttributeValues: { ':minusOne': -1, ':zero': 0 },
        }),
      )
      .catch((err) => {
        // Cleared or expired meanwhile: nothing left to give back.
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
      });
  }

  async clear(counter: LoginCounter): Promise<void> {
    await this.table.doc.send(new DeleteCommand({ TableName: this.table.name, Key: counterKey(counter) }));
  }

  async clearAccount(account: string): Promise<void> {
    let cursor: string | undefined;
    do {
      const page = await this.table.query<StoredItem>({ partition: loginPartition(account), limit: 100, cursor });
      await Promise.all(page.items.map((i) => this.table.delete({ pk: i.pk, sk: i.sk })));
      cursor = page.continue;
    } while (cursor);
  }
}
