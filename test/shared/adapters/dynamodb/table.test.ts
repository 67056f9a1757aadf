import { randomUUID } from 'node:crypto';
import { describe } from 'vitest';
import { ensureTable } from '#shared/adapters/dynamodb/create-table.ts';
import { localDynamoDbClient } from '#infra/local/dynamodb-local.ts';
import { awsTargets } from '#test/contracts/backend.ts';
import { tableContract } from './table-contract.ts';

// DynamoDB Local beside moto, and LocalStack's DynamoDB when the test bed runs LocalStack too (CLUSTERHUB_TEST_AWS).
describe.each(awsTargets())('Table on the DynamoDB of $name', (target) =>
  tableContract(async () => {
    const client = localDynamoDbClient(target.dynamodbEndpoint ?? process.env.AWS_ENDPOINT_URL_DYNAMODB!);
    const tableName = `table-contract-${randomUUID()}`;
    await ensureTable(client, tableName);
    return { client, tableName };
  }),
);
