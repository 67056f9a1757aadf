import type { APIGatewayProxyEventV2, APIGatewayProxyResult, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '#shared/adapters/dynamodb/create-table.ts';
import { localDynamoDbClient } from '#infra/local/dynamodb-local.ts';

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResult>;

const sample = (name: string): APIGatewayProxyEventV2 => JSON.parse(readFileSync(new URL(`../../../events/api-gateway/${name}`, import.meta.url), 'utf8'));
const context = { awsRequestId: 'lambda-req-1', functionName: 'SystemFunction' } as Context;

let handler: Handler;
beforeAll(async () => {
  // The Lambda reads its table from the environment at cold start, as it does on AWS.
  process.env.HUB_TABLE_NAME = `system-fn-${randomUUID()}`;
  await ensureTable(localDynamoDbClient(process.env.AWS_ENDPOINT_URL_DYNAMODB!), process.env.HUB_TABLE_NAME);
  ({ handler } = (await import('#functions/system/handler.ts')) as unknown as { handler: Handler });
});

describe('system Lambda with API Gateway HTTP API (payload 2.0) events', () => {
  it('answers GET /health from the live table and echoes the request id', async () => {
    const res = await handler(sample('get-health.json'), context);
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'healthy', services: { database: { status: 'up' } } });
    expect(res.headers?.['x-request-id']).toBe('sample-req-1');
  });

  it('serves the OpenAPI document', async () => {
    const res = await handler(sample('get-openapi.json'), context);
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body).openapi).toBe('3.1.0');
  });

  it('answers an unmatched route (the $default route) with a 404 problem document', async () => {
    const res = await handler(sample('get-unknown-route.json'), context);
    expect(res.statusCode).toBe(404);
    expect(res.headers?.['content-type']).toBe('application/problem+json');
    expect(JSON.parse(res.body).code).toBe('NOT_FOUND');
  });
});
