import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  PutItemCommand,
  QueryCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTableInput, ensureTable } from '#shared/adapters/dynamodb/create-table.ts';
import { tableDefinition } from '#shared/data/table-definition.ts';
import { localDynamoDbClient, startDynamoDbLocal } from '#infra/local/dynamodb-local.ts';

// A DynamoDB Local of its own: building an index online runs in the emulator's background, and a
// long-lived shared instance has been seen to leave a new index CREATING for good.
let db: Awaited<ReturnType<typeof startDynamoDbLocal>>;
let client: DynamoDBClient;
beforeAll(async () => {
  db = await startDynamoDbLocal({});
  client = localDynamoDbClient(db.endpoint);
});
afterAll(async () => {
  client?.destroy();
  await db?.stop();
});

/** The client, counting the commands sent through it. */
function counting() {
  const sent: string[] = [];
  const proxy = { send: (command: { constructor: { name: string } }) => (sent.push(command.constructor.name), client.send(command as never)) };
  return { sent, client: proxy as unknown as DynamoDBClient };
}

function capturingLogger() {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  return {
    lines,
    logger: {
      info: (message: string, fields?: Record<string, unknown>) => lines.push({ level: 'info', message, fields }),
      warn: (message: string, fields?: Record<string, unknown>) => lines.push({ level: 'warn', message, fields }),
    },
  };
}

describe('ensureTable reconciles an existing table with the definition', () => {
  it('adds a missing index and TTL, keeps an index it does not know, and is a no-op the second time', async () => {
    const tableName = `reconcile-${randomUUID()}`;
    // An older table: gsi2 did not exist yet, TTL was never turned on, and someone added an index by hand.
    const [gsi1, gsi2] = tableDefinition.indexes;
    const older = createTableInput(tableName, { ...tableDefinition, indexes: [gsi1!, { name: 'legacy', partitionKey: 'lpk', sortKey: 'lsk' }] });
    await client.send(new CreateTableCommand(older));
    const before = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(before.Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName).sort()).toEqual(['gsi1', 'legacy']);

    const { lines, logger } = capturingLogger();
    expect(await ensureTable(client, tableName, { logger, pollIntervalMs: 100 })).toBe('updated');

    const after = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table!;
    expect(after.GlobalSecondaryIndexes?.map((i) => i.IndexName).sort()).toEqual(['gsi1', 'gsi2', 'legacy']);
    const created = after.GlobalSecondaryIndexes!.find((i) => i.IndexName === 'gsi2')!;
    expect(created.IndexStatus).toBe('ACTIVE');
    expect(created.KeySchema).toEqual([
      { AttributeName: gsi2!.partitionKey, KeyType: 'HASH' },
      { AttributeName: gsi2!.sortKey, KeyType: 'RANGE' },
    ]);
    expect(created.Projection?.ProjectionType).toBe('ALL');
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ AttributeName: tableDefinition.ttlAttribute, TimeToLiveStatus: 'ENABLED' });
    expect(lines).toEqual([
      expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ index: 'legacy' }) }),
      expect.objectContaining({ level: 'info', message: expect.stringContaining('index created'), fields: expect.objectContaining({ index: 'gsi2' }) }),
      expect.objectContaining({ level: 'info', message: expect.stringContaining('TTL enabled') }),
    ]);

    // The new index answers queries, with the other attributes projected.
    const id = randomUUID();
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { pk: { S: `W#${id}` }, sk: { S: 'PROFILE' }, [gsi2!.partitionKey]: { S: `BY#${id}` }, [gsi2!.sortKey]: { S: '1' }, name: { S: 'w' } },
      }),
    );
    const found = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: 'gsi2',
        KeyConditionExpression: '#p = :p',
        ExpressionAttributeNames: { '#p': gsi2!.partitionKey },
        ExpressionAttributeValues: { ':p': { S: `BY#${id}` } },
      }),
    );
    expect(found.Items).toEqual([expect.objectContaining({ pk: { S: `W#${id}` }, name: { S: 'w' } })]);

    // Again: nothing to do, so nothing but reads is sent; the unknown index is still only reported.
    const again = counting();
    const second = capturingLogger();
    expect(await ensureTable(again.client, tableName, { logger: second.logger })).toBe('exists');
    expect(again.sent).toEqual(['DescribeTableCommand', 'DescribeTimeToLiveCommand']);
    expect(second.lines).toEqual([expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ index: 'legacy' }) })]);
  });

  it('creates a missing table with every index and TTL', async () => {
    const tableName = `reconcile-new-${randomUUID()}`;
    const { lines, logger } = capturingLogger();
    expect(await ensureTable(client, tableName, { logger })).toBe('created');
    const table = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table!;
    expect(table.GlobalSecondaryIndexes?.map((i) => i.IndexName).sort()).toEqual(tableDefinition.indexes.map((i) => i.name));
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).toBe('ENABLED');
    expect(lines).toEqual([]);
    expect(await ensureTable(client, tableName, { logger })).toBe('exists');
  });
});
