import { CreateSecretCommand, GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2, APIGatewayProxyResult, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '#shared/adapters/dynamodb/create-table.ts';
import { localDynamoDbClient } from '#infra/local/dynamodb-local.ts';

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResult>;

const context = { awsRequestId: 'lambda-bootstrap-1' } as Context;
const password = `bootstrap-${randomUUID()}`;
const secrets = new SecretsManagerClient({});
let identity: Handler;
let secretArn: string;

/** A POST to the identity Lambda as API Gateway sends it. */
function post(path: string, body: unknown, token?: string): APIGatewayProxyEventV2 {
  const event = JSON.parse(readFileSync(new URL('../../events/api-gateway/post-login.json', import.meta.url), 'utf8')) as APIGatewayProxyEventV2;
  event.rawPath = path;
  event.requestContext.http.path = path;
  event.body = body === undefined ? undefined : JSON.stringify(body);
  delete event.headers['content-length'];
  if (body === undefined) delete event.headers['content-type'];
  if (token) event.headers.authorization = `Bearer ${token}`;
  return event;
}

async function loginWith(pw: string) {
  const res = await identity(post('/api/v1/auth/login', { username: 'admin', password: pw }), context);
  return { status: res.statusCode, token: res.statusCode === 200 ? (JSON.parse(res.body).access_token as string) : undefined };
}

beforeAll(async () => {
  // As deployed: the table from the environment, the first admin's password in Secrets Manager (moto).
  process.env.HUB_TABLE_NAME = `bootstrap-fn-${randomUUID()}`;
  process.env.HUB_SECRET_PREFIX = `test-${randomUUID()}/`;
  await ensureTable(localDynamoDbClient(process.env.AWS_ENDPOINT_URL_DYNAMODB!), process.env.HUB_TABLE_NAME);
  const secret = await secrets.send(new CreateSecretCommand({ Name: `${process.env.HUB_SECRET_PREFIX}bootstrap/admin-password`, SecretString: password }));
  secretArn = secret.ARN!;
  process.env.HUB_BOOTSTRAP_SECRET_ARN = secretArn;
  ({ handler: identity } = (await import('#functions/identity/handler.ts')) as unknown as { handler: Handler });
});

describe('the identity Lambda and the bootstrap secret in Secrets Manager', () => {
  it('rotates the secret in place, then deletes it on the first admin’s first password change', async () => {
    const { token } = await loginWith(password);
    const rotated = await identity(post('/api/v1/auth/bootstrap-password/rotate', undefined, token), context);
    expect(rotated.statusCode).toBe(200);
    const value = (await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString!;
    expect(value).not.toBe(password);
    expect(rotated.body).not.toContain(value);
    expect((await loginWith(password)).status).toBe(401);
    expect((await loginWith(value)).status).toBe(200);

    const changed = await identity(post('/api/v1/auth/change-password', { current_password: value, new_password: `changed-${randomUUID()}` }, token), context);
    expect(changed.statusCode).toBe(200);
    await expect(secrets.send(new GetSecretValueCommand({ SecretId: secretArn }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});
