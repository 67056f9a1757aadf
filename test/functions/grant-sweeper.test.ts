import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '#shared/adapters/dynamodb/create-table.ts';
import { DynamoUserRepository } from '#shared/adapters/dynamodb/identity/user-repository.ts';
import { Table } from '#shared/adapters/dynamodb/table.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { sweepGrants } from '#shared/workers/grant-sweeper.ts';
import { localDynamoDbClient } from '#infra/local/dynamodb-local.ts';

type Handler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse>;

/** The sample stream record of a removed cluster (events/dynamodb-streams/), for the given cluster records. */
function removed(...clusterIds: string[]): DynamoDBStreamEvent {
  const sample = JSON.parse(readFileSync(new URL('../../events/dynamodb-streams/remove-cluster.json', import.meta.url), 'utf8')) as DynamoDBStreamEvent;
  const [record] = sample.Records;
  return {
    Records: clusterIds.map((id, i) => ({
      ...record!,
      dynamodb: { ...record!.dynamodb, Keys: { pk: { S: `CLUSTER#${id}` }, sk: { S: 'CLUSTER' } }, SequenceNumber: String(1000 + i) },
    })),
  };
}

let handler: Handler;
let users: DynamoUserRepository;
const client = () => localDynamoDbClient(process.env.AWS_ENDPOINT_URL_DYNAMODB!);

beforeAll(async () => {
  // As deployed: the table from the environment.
  process.env.HUB_TABLE_NAME = `sweeper-fn-${randomUUID()}`;
  await ensureTable(client(), process.env.HUB_TABLE_NAME);
  users = new DynamoUserRepository(new Table(client(), process.env.HUB_TABLE_NAME));
  ({ handler } = (await import('#functions/grant-sweeper/handler.ts')) as unknown as { handler: Handler });
});

describe('the grant sweeper Lambda with DynamoDB Streams records', () => {
  it('removes every grant on a removed cluster, and nothing else', async () => {
    const [gone, kept] = [randomUUID(), randomUUID()];
    for (const user of ['u1', 'u2']) await users.setClusterPermission(user, gone, 'operator');
    await users.setClusterPermission('u1', kept, 'none');
    // An item that is not a grant but claims the index partition of one (any writer can set gsi1pk): left alone.
    const table = new Table(client(), process.env.HUB_TABLE_NAME!);
    await table.put({ pk: 'CLUSTER#planted', sk: 'CLUSTER', entity: 'cluster', gsi1pk: `CLUSTER#${gone}#GRANTS`, gsi1sk: 'USER#u9' });
    const other = { ...removed('x').Records[0]!, dynamodb: { Keys: { pk: { S: 'SESSION#s1' }, sk: { S: 'SESSION' } }, SequenceNumber: '999' } };
    const event = removed(gone);
    event.Records.unshift(other); // a record the filter would have kept out: ignored
    expect(await handler(event, { awsRequestId: 'sweep-1' } as Context)).toEqual({ batchItemFailures: [] });
    const left = await Promise.all(['u1', 'u2'].map(async (u) => (await table.query({ partition: `USER#${u}`, limit: 10 })).items.map((i) => i.sk)));
    expect(left).toEqual([[`GRANT#${kept}`], []]);
    expect(await table.get({ pk: 'CLUSTER#planted', sk: 'CLUSTER' })).toBeDefined();
    // A record replayed (a retried batch) finds nothing more to do.
    expect(await handler(removed(gone), { awsRequestId: 'sweep-2' } as Context)).toEqual({ batchItemFailures: [] });
  });

  it('reports the first record it could not finish, so the stream retries from there', async () => {
    const missing = new DynamoUserRepository(new Table(client(), `no-such-table-${randomUUID()}`));
    const logs: string[] = [];
    const result = await sweepGrants(removed(randomUUID(), randomUUID()), missing, createLogger({}, { level: 'error', write: (l) => logs.push(l) }));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '1000' }] });
    expect(logs.join('\n')).toContain('could not remove the grants on a deleted cluster');
  });
});
