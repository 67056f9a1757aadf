import { ConditionalCheckFailedException, DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ConflictError, InputError } from '#shared/domain/errors.ts';
import { tableDefinition, type IndexName } from '#shared/data/table-definition.ts';
import type { Page } from '#shared/http/pagination.ts';

export interface Key {
  pk: string;
  sk: string;
}

/** Every stored item: its keys, its entity type and the version optimistic locking compares. */
export interface StoredItem extends Key {
  entity: string;
  version: number;
  [attribute: string]: unknown;
}

export interface QueryOptions {
  index?: IndexName;
  /** The partition to read; the key condition of every query (no query ever scans). */
  partition: string;
  /** Only sort keys starting with this. */
  beginsWith?: string;
  /** Sort keys between these two, both included. */
  between?: [string, string];
  limit: number;
  cursor?: string;
  newestFirst?: boolean;
  filter?: { expression: string; names?: Record<string, string>; values?: Record<string, unknown> };
}

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

const MAX_QUERY_ROUNDS = 10;

/**
 * The single table: conditional writes for uniqueness, a `version` attribute
 * for optimistic locking, and cursor pagination over queries. Repositories of
 * each entity build on this; nothing here knows an entity.
 */
export class Table {
  readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    readonly name: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /** Proves the table answers: one read of a key that never exists (cheaper than DescribeTable, and needs no extra permission). */
  async ping(): Promise<void> {
    await this.doc.send(new GetCommand({ TableName: this.name, Key: { pk: 'HEALTH', sk: 'HEALTH' } }));
  }

  /** Reads one item by key, or undefined. */
  async get<T extends StoredItem>(key: Key, consistent = false): Promise<T | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.name, Key: key, ConsistentRead: consistent }));
    return out.Item as T | undefined;
  }

  /** Writes a new item at version 1; a second item with the same key is a ConflictError. */
  async create<T extends Omit<StoredItem, 'version'>>(item: T, conflictMessage = 'It already exists.'): Promise<T & { version: number }> {
    const stored = { ...item, version: 1 };
    try {
      await this.doc.send(
        new PutCommand({ TableName: this.name, Item: stored, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) throw new ConflictError(conflictMessage);
      throw err;
    }
    return stored;
  }

  /** Writes an item unconditionally (caches, counters, records whose last write wins). */
  async put(item: Record<string, unknown> & Key): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.name, Item: item }));
  }

  /**
   * The conditional update that sets attributes of an item only if it is still
   * at `expectedVersion`, and bumps the version; usable alone or in a transaction.
   */
  versionedUpdate(key: Key, changes: Record<string, unknown>, expectedVersion: number, remove: string[] = []) {
    const names: Record<string, string> = { '#version': 'version' };
    const values: Record<string, unknown> = { ':expected': expectedVersion, ':one': 1 };
    const sets = ['#version = #version + :one'];
    Object.entries(changes).forEach(([attr, value], i) => {
      if (value === undefined) return;
      names[`#a${i}`] = attr;
      values[`:v${i}`] = value;
      sets.push(`#a${i} = :v${i}`);
    });
    const removes = remove.map((attr, i) => {
      names[`#r${i}`] = attr;
      return `#r${i}`;
    });
    return {
      Update: {
        TableName: this.name,
        Key: key,
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: 'attribute_exists(pk) AND #version = :expected',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    } satisfies TransactItem;
  }

  /** Applies `versionedUpdate` alone; a concurrent writer gets a ConflictError (VERSION_CONFLICT). */
  async update<T extends StoredItem>(key: Key, changes: Record<string, unknown>, expectedVersion: number, remove: string[] = []): Promise<T> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({ ...this.versionedUpdate(key, changes, expectedVersion, remove).Update, ReturnValues: 'ALL_NEW' }),
      );
      return out.Attributes as T;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) {
        throw new ConflictError('It was changed or removed by someone else; read it again and retry.', 'VERSION_CONFLICT');
      }
      throw err;
    }
  }

  /** Deletes an item; true when it existed. */
  async delete(key: Key): Promise<boolean> {
    const out = await this.doc.send(new DeleteCommand({ TableName: this.name, Key: key, ReturnValues: 'ALL_OLD' }));
    return out.Attributes !== undefined;
  }

  /** Writes several items all or nothing; a failed condition is a ConflictError with `conflictMessage`. */
  async transact(items: TransactItem[], conflictMessage: string): Promise<void> {
    try {
      await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (err) {
      if (err instanceof TransactionCanceledException && err.CancellationReasons?.some((r) => r.Code === 'ConditionalCheckFailed')) {
        throw new ConflictError(conflictMessage);
      }
      throw err;
    }
  }

  /**
   * Applies a versioned update and moves the unique claim it holds (a user's or
   * a cluster's name) from one key to another, all or nothing.
   */
  async updateMovingClaim(
    update: TransactItem,
    claim: { from: Key; to: Key; attributes: Record<string, unknown> },
    conflictMessage: string,
  ): Promise<void> {
    await this.transact(
      [
        update,
        {
          Put: {
            TableName: this.name,
            Item: { ...claim.to, ...claim.attributes, version: 1 },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        { Delete: { TableName: this.name, Key: claim.from } },
      ],
      conflictMessage,
    );
  }

  /** One page of a partition, in sort-key order, with an opaque cursor for the next page. */
  async query<T extends StoredItem>(options: QueryOptions): Promise<Page<T>> {
    const index = tableDefinition.indexes.find((i) => i.name === options.index);
    const pkAttr = index?.partitionKey ?? tableDefinition.partitionKey;
    const skAttr = index?.sortKey ?? tableDefinition.sortKey;
    const names: Record<string, string> = { '#pk': pkAttr, ...options.filter?.names };
    const values: Record<string, unknown> = { ':pk': options.partition, ...options.filter?.values };
    let condition = '#pk = :pk';
    if (options.beginsWith !== undefined) {
      names['#sk'] = skAttr;
      values[':prefix'] = options.beginsWith;
      condition += ' AND begins_with(#sk, :prefix)';
    } else if (options.between) {
      names['#sk'] = skAttr;
      values[':from'] = options.between[0];
      values[':to'] = options.between[1];
      condition += ' AND #sk BETWEEN :from AND :to';
    }
    let startKey = options.cursor ? decodeCursor(options.cursor, pkAttr, options.partition) : undefined;
    const items: T[] = [];
    // A filter can leave a page short; keep reading (bounded) until it is full or the partition ends.
    for (let round = 0; round < MAX_QUERY_ROUNDS; round++) {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.name,
          IndexName: index?.name,
          KeyConditionExpression: condition,
          FilterExpression: options.filter?.expression,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ExclusiveStartKey: startKey,
          Limit: options.limit - items.length,
          ScanIndexForward: !options.newestFirst,
        }),
      );
      items.push(...((out.Items ?? []) as T[]));
      startKey = out.LastEvaluatedKey;
      if (!startKey || items.length >= options.limit) break;
    }
    return startKey ? { items, continue: encodeCursor(startKey) } : { items };
  }
}

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

const KEY_ATTRIBUTES = new Set<string>([
  tableDefinition.partitionKey,
  tableDefinition.sortKey,
  ...tableDefinition.indexes.flatMap((i) => [i.partitionKey, i.sortKey]),
]);

/** A cursor is only accepted for the list it came from, so it cannot be bent to read another partition. */
function decodeCursor(cursor: string, pkAttr: string, partition: string): Record<string, string> {
  const invalid = new InputError('The continue token is invalid or belongs to another list.', [
    { field: 'continue', location: 'query', message: 'invalid continue token' },
  ]);
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (typeof key !== 'object' || key === null || Array.isArray(key)) throw invalid;
  const entries = Object.entries(key);
  if (!entries.every(([k, v]) => KEY_ATTRIBUTES.has(k) && typeof v === 'string')) throw invalid;
  if ((key as Record<string, string>)[pkAttr] !== partition) throw invalid;
  return key as Record<string, string>;
}
