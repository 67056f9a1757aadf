import { DescribeTableCommand, DescribeTimeToLiveCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '#shared/adapters/dynamodb/create-table.ts';
import { isStartKeyRejection, Table } from '#shared/adapters/dynamodb/table.ts';
import { ConflictError, InputError } from '#shared/domain/errors.ts';
import { tableDefinition } from '#shared/data/table-definition.ts';

/**
 * What the Table repository base promises on a real DynamoDB, and that the table has the shared
 * definition's keys, indexes and TTL: on a table ensureTable made (table.test.ts) and on the table a
 * deployed stack made (data-stack-deploy.test.ts). `open` gives the table, existing, once per suite.
 */
export function tableContract(open: () => Promise<{ client: DynamoDBClient; tableName: string }>): void {
  let client: DynamoDBClient;
  let tableName: string;
  let table: Table;

  beforeAll(async () => {
    ({ client, tableName } = await open());
    table = new Table(client, tableName);
  });

  describe('the table definition', () => {
    it('creates the keys, indexes and TTL of the shared definition, once', async () => {
      expect(await ensureTable(client, tableName)).toBe('exists');
      const { Table: described } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      expect(described?.GlobalSecondaryIndexes?.map((i) => i.IndexName).sort()).toEqual(tableDefinition.indexes.map((i) => i.name));
      const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
      expect(ttl.TimeToLiveDescription?.AttributeName).toBe(tableDefinition.ttlAttribute);
    });
  });

  describe('Table repository base', () => {
    it('creates an item at version 1 and refuses a second with the same key', async () => {
      const key = { pk: `WIDGET#${randomUUID()}`, sk: 'PROFILE' };
      const created = await table.create({ ...key, entity: 'widget', name: 'a' });
      expect(created.version).toBe(1);
      await expect(table.create({ ...key, entity: 'widget', name: 'b' }, 'Widget exists.')).rejects.toThrow(ConflictError);
      expect((await table.get(key))?.name).toBe('a');
    });

    it('updates only at the expected version, so a concurrent writer loses', async () => {
      const key = { pk: `WIDGET#${randomUUID()}`, sk: 'PROFILE' };
      await table.create({ ...key, entity: 'widget', name: 'a', note: 'x' });
      const updated = await table.update(key, { name: 'b' }, 1, ['note']);
      expect(updated).toMatchObject({ name: 'b', version: 2 });
      expect(updated.note).toBeUndefined();
      await expect(table.update(key, { name: 'c' }, 1)).rejects.toMatchObject({ code: 'VERSION_CONFLICT', kind: 'conflict' });
      expect((await table.get(key))?.name).toBe('b');
    });

    it('refuses to update an item that does not exist', async () => {
      await expect(table.update({ pk: `WIDGET#${randomUUID()}`, sk: 'PROFILE' }, { name: 'x' }, 1)).rejects.toThrow(ConflictError);
    });

    it('writes several items all or nothing', async () => {
      const taken = { pk: `NAME#${randomUUID()}`, sk: 'NAME' };
      await table.create({ ...taken, entity: 'name' });
      const other = { pk: `WIDGET#${randomUUID()}`, sk: 'PROFILE' };
      await expect(
        table.transact(
          [
            { Put: { TableName: tableName, Item: { ...other, entity: 'widget', version: 1 }, ConditionExpression: 'attribute_not_exists(pk)' } },
            { Put: { TableName: tableName, Item: { ...taken, entity: 'name', version: 1 }, ConditionExpression: 'attribute_not_exists(pk)' } },
          ],
          'Name taken.',
        ),
      ).rejects.toThrow('Name taken.');
      expect(await table.get(other)).toBeUndefined();
    });

    it('pages a partition with an opaque cursor, on the table and on an index', async () => {
      const partition = `LIST#${randomUUID()}`;
      for (let i = 0; i < 7; i++) {
        await table.create({ pk: partition, sk: `ITEM#${i}`, entity: 'widget', gsi1pk: `${partition}#IDX`, gsi1sk: `${9 - i}` });
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await table.query({ partition, limit: 3, cursor });
        seen.push(...page.items.map((i) => i.sk));
        cursor = page.continue;
        pages++;
      } while (cursor);
      expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `ITEM#${i}`));
      expect(pages).toBe(3);

      const first = await table.query({ index: 'gsi1', partition: `${partition}#IDX`, limit: 4 });
      expect(first.items.map((i) => i.gsi1sk)).toEqual(['3', '4', '5', '6']);
      const second = await table.query({ index: 'gsi1', partition: `${partition}#IDX`, limit: 4, cursor: first.continue });
      expect(second.items.map((i) => i.gsi1sk)).toEqual(['7', '8', '9']);
      expect(second.continue).toBeUndefined();
    });

    it('refuses a cursor that is garbage or was bent to read another partition', async () => {
      const partition = `LIST#${randomUUID()}`;
      await expect(table.query({ partition, limit: 1, cursor: 'not-base64-json' })).rejects.toThrow(InputError);
      const forged = Buffer.from(JSON.stringify({ pk: 'USER#someone-else', sk: 'PROFILE' })).toString('base64url');
      await expect(table.query({ partition, limit: 1, cursor: forged })).rejects.toThrow(InputError);
    });

    it('binds a cursor to the query that produced it', async () => {
      const partition = `LIST#${randomUUID()}`;
      for (let i = 0; i < 6; i++) await table.create({ pk: partition, sk: `ITEM#${i}`, entity: 'widget', even: i % 2 === 0 });
      const even = { expression: '#even = :yes', names: { '#even': 'even' }, values: { ':yes': true } };
      const first = await table.query({ partition, limit: 1, filter: even, between: ['ITEM#0', 'ITEM#9'] });
      const again = { partition, limit: 2, filter: even, between: ['ITEM#0', 'ITEM#9'] as [string, string], cursor: first.continue };
      expect((await table.query(again)).items.map((i) => i.sk)).toEqual(['ITEM#2', 'ITEM#4']);
      for (const other of [
        { filter: undefined },
        { filter: { ...even, values: { ':yes': false } } },
        { between: ['ITEM#3', 'ITEM#9'] as [string, string] },
        { between: undefined, beginsWith: 'ITEM#' },
        { newestFirst: true },
        { bindTo: { even: true } },
      ]) {
        await expect(table.query({ ...again, ...other }), JSON.stringify(other)).rejects.toThrow(InputError);
      }
    });

    it("takes DynamoDB's own refusal of a starting key for what it is", async () => {
      const partition = `LIST#${randomUUID()}`;
      const refusal = await table.doc
        .send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': partition },
            ExclusiveStartKey: { pk: partition },
          }),
        )
        .catch((err: unknown) => err);
      expect(isStartKeyRejection(refusal)).toBe(true);
      const other = await table.doc
        .send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :b AND :a',
            ExpressionAttributeValues: { ':pk': partition, ':a': 'a', ':b': 'b' },
          }),
        )
        .catch((err: unknown) => err);
      expect(other).toMatchObject({ name: 'ValidationException' });
      expect(isStartKeyRejection(other)).toBe(false);
    });

    it('fills a page despite a filter', async () => {
      const partition = `LIST#${randomUUID()}`;
      for (let i = 0; i < 10; i++) await table.create({ pk: partition, sk: `ITEM#${i}`, entity: 'widget', even: i % 2 === 0 });
      const page = await table.query({
        partition,
        limit: 3,
        filter: { expression: '#even = :yes', names: { '#even': 'even' }, values: { ':yes': true } },
      });
      expect(page.items.map((i) => i.sk)).toEqual(['ITEM#0', 'ITEM#2', 'ITEM#4']);
    });
  });
}
