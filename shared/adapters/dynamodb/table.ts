import { createHash } from 'node:crypto';
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
import type { Page } from '#shared/ports/page.ts';

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
  /**
   * What the cursor is bound to besides the index, partition, key condition and order: the filter
   * by default. A caller whose filter holds more than the client asked for (the clusters the caller
   * may not see) names what was asked instead, so a change of grants between pages breaks no token.
   */
  bindTo?: unknown;
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
    /** The plain client too, for libraries that take one (Powertools' idempotency records). */
    readonly client: DynamoDBClient,
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
      await this.doc.send(new PutCommand({ TableName: this.name, Item: stored, ConditionExpression: 'attribute_not_exists(pk)' }));
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
      const out = await this.doc.send(new UpdateCommand({ ...this.versionedUpdate(key, changes, expectedVersion, remove).Update, ReturnValues: 'ALL_NEW' }));
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
  async updateMovingClaim(update: TransactItem, claim: { from: Key; to: Key; attributes: Record<string, unknown> }, conflictMessage: string): Promise<void> {
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

  /**
   * One page of a partition, in sort-key order, with an opaque cursor for the next page. The cursor
   * is bound to this query: sent with another one (other filters, partition, range) it is refused.
   */
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
    // The digest only when a cursor is read or written: most queries (a user's items, a session) have neither.
    const binding = () => queryDigest(options);
    let startKey = options.cursor ? decodeCursor(options.cursor, binding(), options) : undefined;
    const items: T[] = [];
    // A filter can leave a page short; keep reading (bounded) until it is full or the partition ends.
    for (let round = 0; round < MAX_QUERY_ROUNDS; round++) {
      const out = await this.doc
        .send(
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
        )
        .catch((err: unknown) => {
          // The checks of decodeCursor should leave DynamoDB nothing to refuse in a client's cursor; if it still does, it is the client's.
          if (round === 0 && options.cursor && isStartKeyRejection(err)) throw invalidCursor();
          throw err;
        });
      items.push(...((out.Items ?? []) as T[]));
      startKey = out.LastEvaluatedKey;
      if (!startKey || items.length >= options.limit) break;
    }
    return startKey ? { items, continue: encodeCursor(startKey, binding()) } : { items };
  }
}

/** DynamoDB's own refusal of an ExclusiveStartKey (a ValidationException naming the starting key). */
export function isStartKeyRejection(err: unknown): boolean {
  return err instanceof Error && err.name === 'ValidationException' && /start(ing)? ?key/i.test(err.message);
}

/** A cursor is the last key read and the digest of the query that read it. */
interface Cursor {
  key: Record<string, string>;
  query: string;
}

function encodeCursor(key: Record<string, unknown>, query: string): string {
  return Buffer.from(JSON.stringify({ key, query })).toString('base64url');
}

/**
 * The query a cursor belongs to, as a digest: every instance computes the same one with no key to
 * share. It needs no secret because it guards against mistakes, not forgery; a forged key is
 * caught by the checks of `decodeCursor`, and a key only says where to resume.
 */
function queryDigest(options: QueryOptions): string {
  const query = {
    index: options.index ?? null,
    partition: options.partition,
    beginsWith: options.beginsWith ?? null,
    between: options.between ?? null,
    newestFirst: options.newestFirst ?? false,
    filter: 'bindTo' in options ? options.bindTo : options.filter,
  };
  return createHash('sha256').update(canonicalJson(query)).digest('base64url').slice(0, 22);
}

/** JSON with object keys sorted (and Maps as sorted entries), so equal queries give equal text. */
function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value instanceof Map) return canonicalJson(Object.fromEntries(value));
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

const invalidCursor = () =>
  new InputError('The continue token is invalid or belongs to another list or other filters; start again without it.', [
    { field: 'continue', location: 'query', message: 'invalid continue token' },
  ]);

/** DynamoDB's limits on key values, in UTF-8 bytes. */
const MAX_PARTITION_KEY_BYTES = 2048;
const MAX_SORT_KEY_BYTES = 1024;

/** DynamoDB compares string keys as UTF-8 bytes, which is not JavaScript's UTF-16 order. */
const compareUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/**
 * A cursor is accepted only for the query it came from, and only if it holds exactly the keys a
 * page of that query can end on: the table's keys, plus the index's when on an index, each a
 * non-empty string of a size DynamoDB takes, in the partition and key range read. Anything else
 * would be refused by DynamoDB (a 500) or bend the cursor to read elsewhere.
 */
function decodeCursor(cursor: string, binding: string, options: QueryOptions): Record<string, string> {
  const index = tableDefinition.indexes.find((i) => i.name === options.index);
  const partitionKeys = [tableDefinition.partitionKey, ...(index ? [index.partitionKey] : [])];
  const sortKeys = [tableDefinition.sortKey, ...(index ? [index.sortKey] : [])];
  const pkAttr = index?.partitionKey ?? tableDefinition.partitionKey;
  const skAttr = index?.sortKey ?? tableDefinition.sortKey;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!isPlainObject(parsed) || !sameKeys(parsed, ['key', 'query'])) throw invalidCursor();
  const { key, query } = parsed as unknown as Cursor;
  if (query !== binding || !isPlainObject(key) || !sameKeys(key, [...partitionKeys, ...sortKeys])) throw invalidCursor();
  const sized = (attrs: string[], max: number) => attrs.every((a) => typeof key[a] === 'string' && key[a] !== '' && Buffer.byteLength(key[a], 'utf8') <= max);
  if (!sized(partitionKeys, MAX_PARTITION_KEY_BYTES) || !sized(sortKeys, MAX_SORT_KEY_BYTES)) throw invalidCursor();
  if (key[pkAttr] !== options.partition) throw invalidCursor();
  const sk = key[skAttr]!;
  if (options.beginsWith !== undefined && !sk.startsWith(options.beginsWith)) throw invalidCursor();
  if (options.between && (compareUtf8(sk, options.between[0]) < 0 || compareUtf8(sk, options.between[1]) > 0)) throw invalidCursor();
  return key;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

/** Exactly these own keys, no more, no fewer. */
function sameKeys(value: Record<string, unknown>, expected: string[]): boolean {
  const keys = Object.keys(value);
  return keys.length === expected.length && expected.every((k) => Object.hasOwn(value, k));
}
