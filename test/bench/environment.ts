import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2, APIGatewayProxyResult, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ensureTable } from '#shared/adapters/dynamodb/create-table.ts';
import { localDynamoDbClient } from '#infra/local/dynamodb-local.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { ADMIN_PASSWORD, bearer, jsonPost, login } from '#test/support/identity.ts';
import { downTestbed, upTestbed, useTestbedEnv } from '#test/testbed/testbed.ts';

export type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResult>;

/** Everything the request scenarios measure against: the local HTTP app and the Lambda handlers, each with a registered cluster. */
export interface BenchEnvironment {
  hub: TestHub;
  hubAuth: Record<string, string>;
  hubClusterId: string;
  lambda: { system: Handler; identity: Handler; clusters: Handler; token: string; clusterId: string };
  event(method: string, path: string, options?: { token?: string; body?: unknown }): APIGatewayProxyEventV2;
  stop(): Promise<void>;
}

const sample = JSON.parse(readFileSync(new URL('../../events/api-gateway/get-health.json', import.meta.url), 'utf8')) as APIGatewayProxyEventV2;
export const lambdaContext = { awsRequestId: 'bench' } as Context;

/** Starts (or reuses) the test bed and prepares both ways in. */
export async function startBenchEnvironment(log: (line: string) => void): Promise<BenchEnvironment> {
  const { env, started } = await upTestbed(log);
  useTestbedEnv(env);
  process.env.LOG_LEVEL = 'error';
  const [alpha] = env.clusters;
  const kubeconfig = readFileSync(alpha!.kubeconfig, 'utf8');

  const hub = await startTestHub();
  const hubAuth = bearer((await login(hub, 'admin', ADMIN_PASSWORD)).access_token);
  const registered = await hub.fetch('/api/v1/clusters', jsonPost({ name: 'bench', kubeconfig }, hubAuth));
  const hubClusterId = ((await registered.json()) as { id: string }).id;

  // The Lambda side as deployed: its own table, the bootstrap password in Secrets Manager.
  const password = `bench-${randomUUID()}`;
  process.env.HUB_TABLE_NAME = `bench-${randomUUID()}`;
  process.env.HUB_SECRET_PREFIX = `bench-${randomUUID()}/`;
  process.env.HUB_ALLOWED_CLUSTER_NETWORKS = '127.0.0.0/8';
  // Counted as in production (one write a request), but high enough for hundreds of requests a minute.
  for (const tier of ['AUTH', 'READ', 'WRITE', 'EXEC']) process.env[`HUB_RATE_LIMIT_${tier}_PER_MINUTE`] = '100000';
  await ensureTable(localDynamoDbClient(env.dynamodb.endpoint), process.env.HUB_TABLE_NAME);
  const secret = await new SecretsManagerClient({}).send(
    new CreateSecretCommand({ Name: `${process.env.HUB_SECRET_PREFIX}bootstrap`, SecretString: password }),
  );
  process.env.HUB_BOOTSTRAP_SECRET_ARN = secret.ARN;
  const load = async (name: string) => ((await import(`../../functions/${name}/handler.ts`)) as { handler: Handler }).handler;
  const [system, identity, clusters] = [await load('system'), await load('identity'), await load('clusters')];

  const event = (method: string, path: string, options: { token?: string; body?: unknown } = {}): APIGatewayProxyEventV2 => ({
    ...sample,
    rawPath: path,
    headers: {
      ...sample.headers,
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body ? { 'content-type': 'application/json' } : {}),
    },
    requestContext: { ...sample.requestContext, http: { ...sample.requestContext.http, method, path } },
    body: options.body ? JSON.stringify(options.body) : undefined,
  });
  const token = JSON.parse((await identity(event('POST', '/api/v1/auth/login', { body: { username: 'admin', password } }), lambdaContext)).body).access_token;
  const clusterId = JSON.parse((await clusters(event('POST', '/api/v1/clusters', { token, body: { name: 'bench', kubeconfig } }), lambdaContext)).body).id;

  return {
    hub,
    hubAuth,
    hubClusterId,
    lambda: { system, identity, clusters, token, clusterId },
    event,
    stop: async () => {
      await hub.stop();
      if (started) await downTestbed(log);
    },
  };
}
