/**
 * The table policies of infra/stack/table-access.ts, enforced on the requests the hub really makes.
 * DynamoDB Local and moto do not evaluate IAM, so each endpoint group is served by an app of its
 * own, as its Lambda serves it, on one DynamoDB client whose every command is judged (before it
 * is sent) against the statements of the function that made it, with the evaluator the stack tests
 * use. A request the policy would refuse in AWS fails here as AccessDeniedException. The flows
 * below are the API's real ones over HTTP: if a policy were too narrow, they would fail.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { serve, type ServerType } from '@hono/node-server';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE_ACCESS, tableStatements, type FunctionName } from '#infra/stack/table-access.ts';
import { localDynamoDbClient } from '#infra/local/dynamodb-local.ts';
import { ensureTable } from '#shared/adapters/dynamodb/create-table.ts';
import { Table } from '#shared/adapters/dynamodb/table.ts';
import { FileSecretStore } from '#shared/adapters/local/file-secret-store.ts';
import { groupsNamed } from '#shared/api/catalog.ts';
import { loadConfig } from '#shared/config/config.ts';
import { kubeconfigPolicyFromEnv } from '#shared/domain/clusters/kubeconfig-policy.ts';
import { bootstrapAdmin } from '#shared/domain/identity/bootstrap.ts';
import { createApi } from '#shared/http/app.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { systemClock } from '#shared/ports/clock.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import { wireDependencies } from '#shared/runtime/wiring.ts';
import { sweepGrants } from '#shared/workers/grant-sweeper.ts';
import { testClusters } from '#test/support/clusters.ts';
import { ADMIN_PASSWORD, bearer, jsonPost } from '#test/support/identity.ts';
import { decide, type Statement, type TableRequest } from './iam-policy.ts';

const TABLE_ARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/clusterhub';
const policies = Object.fromEntries(
  Object.entries(TABLE_ACCESS).map(([fn, access]) => [fn, tableStatements(access, TABLE_ARN, (index) => `${TABLE_ARN}/index/${index}`) as Statement[]]),
) as Record<FunctionName, Statement[]>;

/** The function a piece of work runs as (unset: the test's own setup, which IAM does not judge). */
const runningAs = new AsyncLocalStorage<FunctionName>();
const judged: { fn: FunctionName; request: TableRequest; decision: string }[] = [];

type Input = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : ((v as AttributeValue | undefined)?.S ?? ''));
const KEYWORDS = new Set([
  'SET',
  'ADD',
  'REMOVE',
  'DELETE',
  'AND',
  'OR',
  'NOT',
  'BETWEEN',
  'IN',
  'attribute_exists',
  'attribute_not_exists',
  'attribute_type',
  'begins_with',
  'contains',
  'size',
  'if_not_exists',
  'list_append',
]);

/** The top-level attributes an expression names (`#n` placeholders resolved, `:v` values left out). */
function expressionAttributes(input: Input): string[] {
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const text = [input.UpdateExpression, input.ConditionExpression].filter(Boolean).join(' ');
  const found = new Set<string>();
  for (const [token] of text.matchAll(/[#:]?[A-Za-z_][A-Za-z0-9_]*/g)) {
    if (token.startsWith(':') || KEYWORDS.has(token)) continue;
    found.add(token.startsWith('#') ? names[token]! : token);
  }
  return [...found];
}

/** The IAM requests one DynamoDB command is authorized as: one per item of a transaction. */
function requestsOf(command: string, input: Input): TableRequest[] {
  const keyOf = (i: Input) => str(((i.Key ?? i.Item) as Input).pk);
  switch (command) {
    case 'GetItemCommand':
      return [{ action: 'dynamodb:GetItem', leadingKeys: [keyOf(input)] }];
    case 'PutItemCommand':
      return [{ action: 'dynamodb:PutItem', leadingKeys: [keyOf(input)], ...(input.ReturnValues ? { returnValues: String(input.ReturnValues) } : {}) }];
    case 'DeleteItemCommand':
      return [{ action: 'dynamodb:DeleteItem', leadingKeys: [keyOf(input)], ...(input.ReturnValues ? { returnValues: String(input.ReturnValues) } : {}) }];
    case 'UpdateItemCommand':
      return [
        {
          action: 'dynamodb:UpdateItem',
          leadingKeys: [keyOf(input)],
          attributes: [...new Set([...Object.keys(input.Key as Input), ...expressionAttributes(input)])],
          ...(input.ReturnValues ? { returnValues: String(input.ReturnValues) } : {}),
        },
      ];
    case 'QueryCommand': {
      // The partition is the value compared with `=` in the key condition.
      const values = input.ExpressionAttributeValues as Input;
      const placeholder = /=\s*(:[A-Za-z0-9_]+)/.exec(String(input.KeyConditionExpression))![1]!;
      return [{ action: 'dynamodb:Query', leadingKeys: [str(values[placeholder])], ...(input.IndexName ? { index: String(input.IndexName) } : {}) }];
    }
    case 'TransactWriteItemsCommand':
      return (input.TransactItems as Input[]).flatMap((entry) =>
        Object.entries(entry).flatMap(([kind, body]) =>
          requestsOf(`${kind === 'ConditionCheck' ? 'ConditionCheckItem' : `${kind}Item`}Command`, body as Input).map((r) =>
            kind === 'ConditionCheck' ? { ...r, action: 'dynamodb:ConditionCheckItem' } : r,
          ),
        ),
      );
    case 'ConditionCheckItemCommand':
      return [{ action: 'dynamodb:ConditionCheckItem', leadingKeys: [keyOf(input)] }];
    default:
      // Scan, batches, PartiQL: actions no function is granted.
      return [{ action: `dynamodb:${command.replace(/Command$/, '')}`, leadingKeys: [] }];
  }
}

let dataDir: string;
let deps: Dependencies;
let server: ServerType;
let base: string;
let destroyClient: () => void;

/** API Gateway's routes of the stack: each group's prefix goes to its function, the rest to system. */
const functionFor = (path: string): FunctionName =>
  /^\/api\/v1\/(auth|users)(\/|$)/.test(path)
    ? 'identity'
    : /^\/api\/v1\/audit-log(\/|$)/.test(path)
      ? 'audit'
      : /^\/api\/v1\/clusters\/[^/]+\/topology(\/|$)/.test(path)
        ? 'topology'
        : /^\/api\/v1\/clusters(\/|$)/.test(path)
          ? 'clusters'
          : /^\/api\/v1\/(environments|app-instances|services|configmaps|secrets|sync-operations|promotions)(\/|$)/.test(path)
            ? 'environments'
            : 'system';

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'clusterhub-iam-'));
  const env = {
    HUB_ENVIRONMENT: 'local',
    HUB_TABLE_NAME: `iam-${randomUUID()}`,
    HUB_ALLOWED_CLUSTER_NETWORKS: '127.0.0.0/8',
    HUB_RATE_LIMIT_AUTH_PER_MINUTE: '10000',
    HUB_RATE_LIMIT_READ_PER_MINUTE: '10000',
    HUB_RATE_LIMIT_WRITE_PER_MINUTE: '10000',
    HUB_RATE_LIMIT_EXEC_PER_MINUTE: '10000',
  };
  const config = loadConfig(env);
  const client = localDynamoDbClient(process.env.AWS_ENDPOINT_URL_DYNAMODB!);
  destroyClient = () => client.destroy();
  await ensureTable(client, config.tableName);
  // Judge every command made as a function, before it reaches DynamoDB Local.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const fn = runningAs.getStore();
      if (fn) {
        for (const request of requestsOf(String(context.commandName), args.input as Input)) {
          const decision = decide(policies[fn], request);
          judged.push({ fn, request, decision });
          if (decision !== 'allowed') {
            throw Object.assign(
              new Error(`${fn} is not authorized to perform ${request.action} on ${request.index ?? 'the table'} for ${request.leadingKeys.join(', ')}`),
              { name: 'AccessDeniedException' },
            );
          }
        }
      }
      return next(args);
    },
    { step: 'build', name: 'iamLeadingKeys' },
  );
  const table = new Table(client, config.tableName);
  const secrets = new FileSecretStore(join(dataDir, 'secrets'));
  deps = wireDependencies({
    config,
    logger: createLogger({ service: 'iam-test' }, { level: 'error', write: () => {} }),
    clock: systemClock,
    table: () => table,
    secrets: () => secrets,
    kubeconfigPolicy: () => kubeconfigPolicyFromEnv(env),
    // As on AWS: the clusters function leaves the grants of a deleted cluster to the sweeper.
    grantsSweptByStream: true,
  });
  // The identity function's cold start creates the first admin.
  await runningAs.run('identity', () => bootstrapAdmin(deps.identity, async () => ADMIN_PASSWORD));
  const apps = Object.fromEntries(
    (['system', 'identity', 'audit', 'clusters', 'topology', 'environments'] as const).map((fn) => [fn, createApi(groupsNamed(deps, fn), deps.logger)]),
  );
  server = await new Promise<ServerType>((resolve) => {
    const s = serve(
      {
        fetch: (req) => {
          const fn = functionFor(new URL(req.url).pathname);
          return runningAs.run(fn, () => apps[fn]!.fetch(req));
        },
        hostname: '127.0.0.1',
        port: 0,
      },
      () => resolve(s),
    );
  });
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  destroyClient?.();
  rmSync(dataDir, { recursive: true, force: true });
});

async function call(path: string, init: RequestInit = {}, expected = 200): Promise<Record<string, unknown>> {
  const res = await fetch(base + path, init);
  const text = await res.text();
  expect(res.status, `${init.method ?? 'GET'} ${path}: ${text.slice(0, 300)}`).toBe(expected);
  return text && res.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as Record<string, unknown>) : {};
}
const send = (method: string, body: unknown, headers: Record<string, string>): RequestInit => ({ ...jsonPost(body, headers), method });

describe('each function under the table policy of its role', () => {
  it('serves the real flows of every group with no request its policy refuses', { timeout: 120_000 }, async () => {
    const [alpha] = testClusters();
    // identity: log in, refresh, look at oneself, create and change a user, API keys, 2FA setup, a failed login.
    const tokens = await call('/api/v1/auth/login', jsonPost({ username: 'admin', password: ADMIN_PASSWORD }));
    const admin = bearer(String(tokens.access_token));
    const refreshed = await call('/api/v1/auth/refresh', jsonPost({ refresh_token: tokens.refresh_token }));
    await call('/api/v1/auth/me', { headers: admin });
    const dana = await call('/api/v1/users', jsonPost({ username: 'dana', password: 'Quiet-river-passphrase-7', role: 'viewer' }, admin), 201);
    await call(`/api/v1/users/${dana.id}`, send('PATCH', { role: 'operator' }, admin));
    await call('/api/v1/users', { headers: admin });
    await call(`/api/v1/users/${dana.id}`, { headers: admin });
    await call('/api/v1/auth/login', jsonPost({ username: 'dana', password: 'not-her-password' }), 401);
    await call(`/api/v1/users/${dana.id}/unlock`, jsonPost({}, admin));
    const danaTokens = await call('/api/v1/auth/login', jsonPost({ username: 'dana', password: 'Quiet-river-passphrase-7' }));
    await call('/api/v1/auth/2fa/setup', jsonPost({}, bearer(String(danaTokens.access_token))));
    const key = await call('/api/v1/auth/api-keys', jsonPost({ name: 'ci', current_password: ADMIN_PASSWORD }, admin), 201);
    await call('/api/v1/auth/api-keys', { headers: admin });

    // clusters: register a real cluster, list, read, rename, live views, probe, deactivate.
    const cluster = await call('/api/v1/clusters', jsonPost({ name: 'alpha', kubeconfig: alpha!.adminKubeconfig }, admin), 201);
    const id = String(cluster.id);
    await call('/api/v1/clusters', { headers: admin });
    await call(`/api/v1/clusters/${id}`, { headers: admin });
    await call(`/api/v1/clusters/${id}`, send('PATCH', { name: 'alpha-renamed', labels: { env: 'test' } }, admin));
    for (const view of ['status', 'summary', 'overview', 'namespaces']) await call(`/api/v1/clusters/${id}/${view}`, { headers: admin });
    await call(`/api/v1/clusters/${id}/test`, jsonPost({}, admin));
    // topology: a graph read live (the cluster record and its circuit), and an export (audited).
    await call(`/api/v1/clusters/${id}/topology?namespace=kube-system`, { headers: admin });
    await call(`/api/v1/clusters/${id}/topology/export`, jsonPost({ format: 'drawio', namespace: 'kube-system' }, admin));
    await call(`/api/v1/clusters/${id}/set-active`, jsonPost({ active: false }, admin));
    // An API key authenticates in the clusters function, which notes its last use.
    await call('/api/v1/clusters', { headers: { 'X-API-Key': String(key.key) } });
    // identity grants a role on the cluster (it checks the cluster exists).
    await call(`/api/v1/users/${dana.id}/cluster-permissions`, jsonPost({ cluster_id: id, role: 'none' }, admin));
    await call(`/api/v1/users/${dana.id}/cluster-permissions`, { headers: admin });

    // audit: the whole trail, by user, by cluster, by action, as CSV.
    for (const query of ['', `?user_id=${dana.id}`, `?cluster_id=${id}`, '?action=cluster.update', '?format=csv'])
      await call(`/api/v1/audit-log${query}`, { headers: admin });

    // system: health, metrics (counts clusters and users, reads circuits), capabilities, the document.
    for (const path of ['/health', '/metrics', '/capabilities', '/api/v1/openapi.json']) await call(path);

    // Deleting the cluster leaves its grants to the sweeper, fed by the stream record of the removal.
    await call(`/api/v1/clusters/${id}`, { method: 'DELETE', headers: admin }, 204);
    expect(await call(`/api/v1/users/${dana.id}/cluster-permissions`, { headers: admin })).toEqual({ items: [{ cluster_id: id, role: 'none' }] });
    const event = JSON.parse(readFileSync(new URL('../../events/dynamodb-streams/remove-cluster.json', import.meta.url), 'utf8')) as DynamoDBStreamEvent;
    event.Records[0]!.dynamodb!.Keys!.pk!.S = `CLUSTER#${id}`;
    expect(await runningAs.run('grantSweeper', () => sweepGrants(event, deps.identity.users, deps.logger))).toEqual({ batchItemFailures: [] });
    expect(await call(`/api/v1/users/${dana.id}/cluster-permissions`, { headers: admin })).toEqual({ items: [] });

    // A password change revokes the user's other sessions (found on gsi1); keys can be revoked.
    const other = await call('/api/v1/auth/login', jsonPost({ username: 'dana', password: 'Quiet-river-passphrase-7' }));
    await call(
      '/api/v1/auth/change-password',
      jsonPost({ current_password: 'Quiet-river-passphrase-7', new_password: 'Still-water-passphrase-8' }, bearer(String(other.access_token))),
    );
    await call(`/api/v1/auth/api-keys/${key.id}`, { method: 'DELETE', headers: admin }, 204);

    await call(`/api/v1/users/${dana.id}`, { method: 'DELETE', headers: admin }, 204);
    await call('/api/v1/auth/logout', jsonPost({ refresh_token: refreshed.refresh_token }, bearer(String(refreshed.access_token))), 204);

    expect(judged.filter((j) => j.decision !== 'allowed')).toEqual([]);
    // Every function made table requests of its own, so each policy was really exercised.
    expect(new Set(judged.map((j) => j.fn))).toEqual(new Set(['system', 'identity', 'audit', 'clusters', 'topology', 'grantSweeper']));
    // The clusters function wrote only its own partitions, a rate window, audit entries and a key's last use.
    const clusterWrites = judged.filter((j) => j.fn === 'clusters' && !['dynamodb:GetItem', 'dynamodb:Query'].includes(j.request.action));
    expect(new Set(clusterWrites.map((j) => j.request.leadingKeys[0]!.replace(/#.*/, '#')))).toEqual(
      new Set(['CLUSTER#', 'CLUSTERNAME#', 'CIRCUIT#', 'RATE#', 'AUDIT', 'APIKEY#']),
    );
  });

  it(
    'serves the environments group under its own policy: its records, compare and sync through the cluster, history, promotions',
    { timeout: 120_000 },
    async () => {
      const [alpha] = testClusters();
      const admin = bearer(String((await call('/api/v1/auth/login', jsonPost({ username: 'admin', password: ADMIN_PASSWORD }))).access_token));
      const cluster = String((await call('/api/v1/clusters', jsonPost({ name: 'alpha-envs', kubeconfig: alpha!.adminKubeconfig }, admin), 201)).id);
      const before = judged.length;
      const env = String((await call('/api/v1/environments', jsonPost({ name: 'iam-dev' }, admin), 201)).id);
      await call('/api/v1/environments', { headers: admin });
      await call(`/api/v1/environments/${env}`, send('PATCH', { name: 'iam-develop', order: 3 }, admin));
      const instance = (name: string, namespace: string) =>
        call('/api/v1/app-instances', jsonPost({ name, environment_id: env, cluster_id: cluster, namespace }, admin), 201).then((r) => String(r.id));
      const a = await instance('one', 'default');
      const b = await instance('two', 'kube-public');
      for (const q of [`?environment_id=${env}`, `?cluster_id=${cluster}`, '']) await call(`/api/v1/app-instances${q}`, { headers: admin });
      await call(`/api/v1/app-instances/${b}`, send('PATCH', { name: 'second' }, admin));
      for (const what of ['services', 'configmaps', 'secrets']) await call(`/api/v1/${what}/compare?source=${a}&target=${b}`, { headers: admin });
      await call(`/api/v1/services?environment_id=${env}`, { headers: admin });
      await call(`/api/v1/configmaps/${a}`, { headers: admin });
      await call('/api/v1/services/sync', jsonPost({ source_app_instance_id: a, target_app_instance_ids: [b], services: ['none'], dry_run: true }, admin), 400);
      await call(
        '/api/v1/configmaps/sync',
        jsonPost({ source_app_instance_id: a, target_app_instance_id: b, name: 'kube-root-ca.crt', keys: ['ca.crt'] }, admin),
      );
      const synced = (await call('/api/v1/configmaps/sync/history', { headers: admin })).items as { id: string }[];
      // The CA is the same in both namespaces of one cluster: the sync changed nothing, so there is nothing to roll back.
      await call(`/api/v1/sync-operations/${synced[0]!.id}/rollback`, jsonPost({}, admin), 409);
      const promotion = await call(
        '/api/v1/promotions',
        jsonPost({ source_app_instance_id: a, target_app_instance_id: b, services: ['x'], reason: 'iam' }, admin),
        201,
      );
      await call(`/api/v1/promotions/${promotion.id}/reject`, jsonPost({}, admin), 403);
      await call('/api/v1/promotions', { headers: admin });
      await call(`/api/v1/promotions/${promotion.id}`, { headers: admin });
      await call(`/api/v1/app-instances/${a}`, { method: 'DELETE', headers: admin }, 204);
      await call(`/api/v1/environments/${env}?cascade=true`, { method: 'DELETE', headers: admin }, 204);

      const mine = judged.slice(before).filter((j) => j.fn === 'environments');
      expect(mine.filter((j) => j.decision !== 'allowed')).toEqual([]);
      const writes = mine.filter((j) => !['dynamodb:GetItem', 'dynamodb:Query'].includes(j.request.action));
      expect(new Set(writes.map((j) => j.request.leadingKeys[0]!.replace(/#.*/, '#')))).toEqual(
        new Set(['ENV#', 'ENVNAME#', 'ENVCOUNT', 'APPINSTANCE#', 'APPINSTANCENAME#', 'SYNCOP#', 'PROMOTION#', 'RATE#', 'AUDIT']),
      );
    },
  );

  it('refuses what a taken-over clusters function would try: grants, user items, changes to the audit trail', async () => {
    const denied = (work: () => Promise<unknown>) => expect(runningAs.run('clusters', work)).rejects.toMatchObject({ name: 'AccessDeniedException' });
    const users = deps.identity.users;
    const admin = (await runningAs.run('identity', () => users.findByUsername('admin')))!;
    await denied(() => users.setClusterPermission(admin.id, 'any-cluster', 'admin'));
    await denied(() => users.update(admin, { role: 'viewer' }));
    await denied(() => users.deletePermissionsForCluster('any-cluster'));
    await denied(() => deps.table.delete({ pk: 'AUDIT', sk: '2026-12-01T00:00:00.000Z#x' }));
    await denied(() => deps.table.update({ pk: 'AUDIT', sk: '2026-12-01T00:00:00.000Z#x' }, { action: 'nothing happened' }, 1));
    await denied(() => deps.audit.query({}, 10));
    // The identity function may not rewrite the trail either.
    await expect(runningAs.run('identity', () => deps.table.delete({ pk: 'AUDIT', sk: '2026-12-01T00:00:00.000Z#x' }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
  });
});
