import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyResult, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '#shared/adapters/dynamodb/create-table.ts';
import { localDynamoDbClient } from '#infra/local/dynamodb-local.ts';
import { loadTestbedEnv } from '#test/testbed/env.ts';

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResult>;

const sample = (name: string): APIGatewayProxyEventV2 => JSON.parse(readFileSync(new URL(`../../events/api-gateway/${name}`, import.meta.url), 'utf8'));
const context = { awsRequestId: 'lambda-req-2' } as Context;
const password = `bootstrap-${randomUUID()}`;

let identity: Handler;
let audit: Handler;
let clusters: Handler;
beforeAll(async () => {
  // As deployed: the table from the environment, the first admin's password in Secrets Manager (moto).
  process.env.HUB_TABLE_NAME = `identity-fn-${randomUUID()}`;
  process.env.HUB_SECRET_PREFIX = `test-${randomUUID()}/`;
  await ensureTable(localDynamoDbClient(process.env.AWS_ENDPOINT_URL_DYNAMODB!), process.env.HUB_TABLE_NAME);
  const secret = await new SecretsManagerClient({}).send(
    new CreateSecretCommand({ Name: `${process.env.HUB_SECRET_PREFIX}bootstrap/admin-password`, SecretString: password }),
  );
  process.env.HUB_BOOTSTRAP_SECRET_ARN = secret.ARN;
  // The test bed's clusters listen on loopback, which a deployment refuses unless the operator allows it.
  process.env.HUB_ALLOWED_CLUSTER_NETWORKS = '127.0.0.0/8';
  ({ handler: identity } = (await import('#functions/identity/handler.ts')) as unknown as { handler: Handler });
  ({ handler: audit } = (await import('#functions/audit/handler.ts')) as unknown as { handler: Handler });
  ({ handler: clusters } = (await import('#functions/clusters/handler.ts')) as unknown as { handler: Handler });
});

describe('API Lambdas with API Gateway HTTP API (payload 2.0) events', () => {
  it('bootstraps the admin from the stack secret and logs in; the audit Lambda shows the login', async () => {
    const event = sample('post-login.json');
    event.body = JSON.stringify({ username: 'admin', password });
    const res = await identity(event, context);
    expect(res.statusCode).toBe(200);
    const { access_token } = JSON.parse(res.body);

    const wrong = sample('post-login.json');
    wrong.body = JSON.stringify({ username: 'admin', password: 'not-it' });
    expect((await identity(wrong, context)).statusCode).toBe(401);

    const query = sample('get-audit-log.json');
    query.headers.authorization = `Bearer ${access_token}`;
    const entries = await audit(query, context);
    expect(entries.statusCode).toBe(200);
    const { items } = JSON.parse(entries.body);
    expect(items.map((e: { status_code: number; request_ip: string }) => [e.status_code, e.request_ip])).toEqual([
      [401, '203.0.113.7'],
      [200, '203.0.113.7'],
    ]);
  });

  it('registers a cluster through the clusters Lambda, which offers no discovery outside the local run; the health Lambda queues a sweep of it and the topology Lambda draws it', async () => {
    const login = sample('post-login.json');
    login.body = JSON.stringify({ username: 'admin', password });
    const { access_token } = JSON.parse((await identity(login, context)).body);
    const [alpha] = loadTestbedEnv().clusters;

    const register = sample('post-cluster.json');
    register.headers.authorization = `Bearer ${access_token}`;
    register.body = JSON.stringify({ name: 'alpha', kubeconfig: readFileSync(alpha!.kubeconfig, 'utf8') });
    const registered = await clusters(register, context);
    expect(registered.statusCode).toBe(201);
    expect(JSON.parse(registered.body)).toMatchObject({ name: 'alpha', status: 'connected', version: 'v1.33.7' });

    const discover = sample('get-cluster-discover.json');
    discover.headers.authorization = `Bearer ${access_token}`;
    expect((await clusters(discover, context)).statusCode).toBe(404);

    // A sweep asked of the health Lambda goes to the job queue the stack names in its environment.
    const sqs = new SQSClient({});
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `health-sweep-${randomUUID()}` }))).QueueUrl!;
    process.env.HUB_QUEUE_HEALTH_SWEEP_URL = queueUrl;
    process.env.HUB_QUEUE_HEALTH_SWEEP_DLQ_URL = (await sqs.send(new CreateQueueCommand({ QueueName: `health-sweep-dlq-${randomUUID()}` }))).QueueUrl!;
    const { handler: health } = (await import('#functions/health/handler.ts')) as unknown as { handler: Handler };
    const { id } = JSON.parse(registered.body) as { id: string };
    const sweep = sample('post-cluster.json');
    sweep.headers.authorization = `Bearer ${access_token}`;
    sweep.rawPath = sweep.requestContext.http.path = `/api/v1/clusters/${id}/sweep`;
    sweep.routeKey = sweep.requestContext.routeKey = 'ANY /api/v1/clusters/{clusterId}/sweep';
    sweep.body = '';
    const started = await health(sweep, context);
    expect(started.statusCode, started.body).toBe(202);
    expect(started.headers?.location ?? started.headers?.Location).toMatch(/^\/api\/v1\/operations\//);
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect(Messages?.map((m) => JSON.parse(m.Body!).cluster_id)).toEqual([id]);

    // The topology Lambda answers a PNG as API Gateway needs a binary body: base64, flagged so; a draw.io file as text.
    const { handler: topology } = (await import('#functions/topology/handler.ts')) as unknown as { handler: Handler };
    const exportAs = (format: string) => {
      const event = sample('post-cluster.json');
      event.headers.authorization = `Bearer ${access_token}`;
      event.rawPath = event.requestContext.http.path = `/api/v1/clusters/${id}/topology/export`;
      event.routeKey = event.requestContext.routeKey = 'ANY /api/v1/clusters/{clusterId}/topology/{proxy+}';
      event.body = JSON.stringify({ format, namespace: 'kube-system' });
      return topology(event, context);
    };
    const png = await exportAs('png');
    expect(png.statusCode, png.body.slice(0, 300)).toBe(200);
    expect(png.isBase64Encoded).toBe(true);
    expect(Buffer.from(png.body, 'base64').subarray(1, 4).toString('latin1')).toBe('PNG');
    const drawio = await exportAs('drawio');
    expect(drawio.statusCode).toBe(200);
    expect(drawio.isBase64Encoded).toBe(false);
    expect(drawio.body).toContain('<mxGraphModel');
  });
});
