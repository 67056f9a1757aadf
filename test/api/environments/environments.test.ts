import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directClient, testClusters } from '#test/support/clusters.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { ADMIN_PASSWORD, bearer, createUser, jsonPost, login } from '#test/support/identity.ts';
import { json } from '#test/support/http.ts';
import { deployFixture, secretValue } from './fixture.ts';

/**
 * Issue 17 items 1, 3 and 4 over real HTTP: environments and app instances (validation, limits,
 * roles, visibility, audit), and compare between two instances of one application on the test
 * bed's two clusters, checked against what the clusters themselves hold.
 */
let hub: TestHub;
let admin: Record<string, string>;
let operator: Record<string, string>;
let viewer: Record<string, string>;
let hidden: Record<string, string>;
const ids: { alpha?: string; beta?: string } = {};
const [alpha, beta] = testClusters();
const alphaDirect = directClient(alpha!.adminKubeconfig);
const betaDirect = directClient(beta!.adminKubeconfig);
const suffix = randomBytes(3).toString('hex');
const nsAlpha = `envs-a-${suffix}`;
const nsBeta = `envs-b-${suffix}`;
const secrets = { alphaPassword: secretValue(), betaPassword: secretValue(), user: secretValue(), betaToken: secretValue() };

async function call(path: string, init: RequestInit = {}, as = operator) {
  const res = await hub.fetch(path, { ...init, headers: { ...as, ...(init.headers as Record<string, string>) } });
  return { status: res.status, body: res.status === 204 ? null : await json(res), text: '' };
}
const post = (path: string, body: unknown, as = operator) => call(path, jsonPost(body), as);
const patch = (path: string, body: unknown, as = operator) => call(path, { ...jsonPost(body), method: 'PATCH' }, as);
const del = (path: string, as = operator) => call(path, { method: 'DELETE' }, as);

beforeAll(async () => {
  hub = await startTestHub();
  for (const value of Object.values(secrets)) hub.rememberSecret(value, 'fixture Secret value');
  const adminToken = (await login(hub, 'admin', ADMIN_PASSWORD)).access_token;
  admin = bearer(adminToken);
  const users: Record<string, { id: string; token: Record<string, string> }> = {};
  for (const [name, role] of [
    ['env-ops', 'operator'],
    ['env-watcher', 'viewer'],
    ['env-outsider', 'operator'],
  ] as const) {
    const { id, password } = await createUser(hub, adminToken, name, role);
    users[name] = { id, token: bearer((await login(hub, name, password)).access_token) };
  }
  operator = users['env-ops']!.token;
  viewer = users['env-watcher']!.token;
  hidden = users['env-outsider']!.token;
  for (const [name, cluster] of [
    ['alpha', alpha!],
    ['beta', beta!],
  ] as const) {
    const registered = await post('/api/v1/clusters', { name, kubeconfig: cluster.adminKubeconfig }, admin);
    expect(registered.status).toBe(201);
    ids[name] = registered.body.id;
  }
  // The outsider may not even see beta.
  expect((await post(`/api/v1/users/${users['env-outsider']!.id}/cluster-permissions`, { cluster_id: ids.beta, role: 'none' }, admin)).status).toBe(200);
  await deployFixture(alphaDirect, nsAlpha, {
    images: { web: 'nginx:1.25', api: 'registry.example.test:5000/shop/api:2.0' },
    config: { LOG_LEVEL: 'info', FEATURE_X: 'on', ONLY_SOURCE: 'yes' },
    secret: { password: secrets.alphaPassword, user: secrets.user },
    only: 'worker',
  });
  await deployFixture(betaDirect, nsBeta, {
    images: { web: 'nginx:1.27', api: 'registry.example.test:5000/shop/api:2.0' },
    config: { LOG_LEVEL: 'info', FEATURE_X: 'off', ONLY_TARGET: 'yes' },
    secret: { password: secrets.betaPassword, user: secrets.user, token: secrets.betaToken },
  });
});

afterAll(async () => {
  await alphaDirect.core.deleteNamespace({ name: nsAlpha }).catch(() => undefined);
  await betaDirect.core.deleteNamespace({ name: nsBeta }).catch(() => undefined);
  await hub?.stop();
});

describe('environments', () => {
  it('are created by operators, named uniquely whatever the case, validated, listed by order and audited', async () => {
    expect((await post('/api/v1/environments', { name: 'qa' }, viewer)).status).toBe(403);
    const bad = await post('/api/v1/environments', { name: 'Not A Label', color: 'green', order: -1, extra: true });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(expect.arrayContaining(['color', 'name', 'order']));

    const prod = await post('/api/v1/environments', { name: 'prod-x', order: 100, color: '#ef4444', description: 'production' });
    expect(prod.status).toBe(201);
    expect(prod.body).toMatchObject({ name: 'prod-x', order: 100, color: '#ef4444', require_approval: false, instance_count: 0 });
    const dev = await post('/api/v1/environments', { name: 'dev-x', order: 0 });
    expect(dev.status).toBe(201);
    expect(dev.body.color).toMatch(/^#[0-9a-f]{6}$/);
    const again = await post('/api/v1/environments', { name: 'PROD-X'.toLowerCase() });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('ENVIRONMENT_EXISTS');

    const list = await call('/api/v1/environments?limit=1', {}, viewer);
    expect(list.status).toBe(200);
    expect(list.body.items.map((e: { name: string }) => e.name)).toEqual(['dev-x']);
    const next = await call(`/api/v1/environments?limit=1&continue=${encodeURIComponent(list.body.metadata.continue)}`, {}, viewer);
    expect(next.body.items.map((e: { name: string }) => e.name)).toEqual(['prod-x']);

    const renamed = await patch(`/api/v1/environments/${dev.body.id}`, { name: 'develop-x', order: 200 });
    expect(renamed.status).toBe(200);
    // The rename frees the old name and moves it to the end of the order.
    expect((await post('/api/v1/environments', { name: 'dev-x' })).status).toBe(201);
    const names = (await call('/api/v1/environments', {}, viewer)).body.items.map((e: { name: string }) => e.name);
    expect(names.indexOf('develop-x')).toBeGreaterThan(names.indexOf('prod-x'));

    const audit = await call(`/api/v1/audit-log?action=environment.create`, {}, admin);
    expect(audit.body.items.some((e: { resource_id: string; status_code: number }) => e.resource_id === prod.body.id && e.status_code === 201)).toBe(true);
    expect(audit.body.items.some((e: { status_code: number }) => e.status_code === 403)).toBe(true);
  });

  it('lets an operator switch require_approval on, and only an admin switch it off', async () => {
    const env = await post('/api/v1/environments', { name: 'guarded-x', order: 50 });
    expect((await patch(`/api/v1/environments/${env.body.id}`, { require_approval: true })).body.require_approval).toBe(true);
    const refused = await patch(`/api/v1/environments/${env.body.id}`, { require_approval: false });
    expect(refused.status).toBe(403);
    expect((await call(`/api/v1/environments/${env.body.id}`, {}, viewer)).body.require_approval).toBe(true);
    const off = await patch(`/api/v1/environments/${env.body.id}`, { require_approval: false }, admin);
    expect(off.status).toBe(200);
    expect(off.body.require_approval).toBe(false);
  });
});

describe('app instances', () => {
  it('need operator on their cluster, hide with it, and keep their environment from a plain delete', async () => {
    const env = await post('/api/v1/environments', { name: 'stage-y' });
    const body = { name: 'shop-alpha', environment_id: env.body.id, cluster_id: ids.alpha, namespace: nsAlpha };
    expect((await post('/api/v1/app-instances', body, viewer)).status).toBe(403);
    const unknown = await post('/api/v1/app-instances', { ...body, cluster_id: 'no-such-cluster' });
    expect(unknown.status).toBe(404);
    const a = await post('/api/v1/app-instances', body);
    expect(a.status).toBe(201);
    expect((await post('/api/v1/app-instances', { ...body, name: 'SHOP-ALPHA'.toLowerCase() })).body.code).toBe('APP_INSTANCE_EXISTS');
    const b = await post('/api/v1/app-instances', { ...body, name: 'shop-beta', cluster_id: ids.beta, namespace: nsBeta });
    expect(b.status).toBe(201);
    expect((await call(`/api/v1/environments/${env.body.id}`)).body.instance_count).toBe(2);

    const mine = await call(`/api/v1/app-instances?environment_id=${env.body.id}`, {}, viewer);
    expect(mine.body.items.map((i: { name: string }) => i.name)).toEqual(['shop-alpha', 'shop-beta']);
    const byCluster = await call(`/api/v1/app-instances?cluster_id=${ids.beta}`, {}, viewer);
    expect(byCluster.body.items.map((i: { id: string }) => i.id)).toEqual([b.body.id]);
    // Beta is hidden from the outsider: its instance is too, in lists and by id.
    const outsider = await call(`/api/v1/app-instances?environment_id=${env.body.id}`, {}, hidden);
    expect(outsider.body.items.map((i: { name: string }) => i.name)).toEqual(['shop-alpha']);
    expect((await call(`/api/v1/app-instances/${b.body.id}`, {}, hidden)).status).toBe(404);
    expect((await del(`/api/v1/app-instances/${b.body.id}`, hidden)).status).toBe(404);
    expect((await patch(`/api/v1/app-instances/${a.body.id}`, { namespace: 'other' }, viewer)).status).toBe(403);

    const kept = await del(`/api/v1/environments/${env.body.id}`, admin);
    expect(kept.status).toBe(409);
    expect(kept.body.code).toBe('ENVIRONMENT_NOT_EMPTY');
    expect((await del(`/api/v1/environments/${env.body.id}?cascade=true`, operator)).status).toBe(403);
    expect((await del(`/api/v1/environments/${env.body.id}?cascade=true`, admin)).status).toBe(204);
    expect((await call(`/api/v1/app-instances/${a.body.id}`)).status).toBe(404);
    expect((await call(`/api/v1/environments/${env.body.id}`)).status).toBe(404);
    // Nothing on the clusters changed.
    expect((await alphaDirect.apps.readNamespacedDeployment({ namespace: nsAlpha, name: 'web' })).metadata?.name).toBe('web');
  });

  it('are limited in number per environment', async () => {
    const env = await post('/api/v1/environments', { name: 'small-y' });
    const limits = hub.deps.environments.limits;
    const before = limits.maxInstancesPerEnvironment;
    limits.maxInstancesPerEnvironment = 1;
    try {
      const body = { environment_id: env.body.id, cluster_id: ids.alpha, namespace: nsAlpha };
      expect((await post('/api/v1/app-instances', { ...body, name: 'one' })).status).toBe(201);
      const over = await post('/api/v1/app-instances', { ...body, name: 'two' });
      expect(over.status).toBe(409);
      expect(over.body.code).toBe('LIMIT_REACHED');
    } finally {
      limits.maxInstancesPerEnvironment = before;
    }
  });
});

describe('compare', () => {
  let source: string;
  let target: string;

  beforeAll(async () => {
    const env = await post('/api/v1/environments', { name: 'compare-z' });
    source = (await post('/api/v1/app-instances', { name: 'src', environment_id: env.body.id, cluster_id: ids.alpha, namespace: nsAlpha })).body.id;
    target = (await post('/api/v1/app-instances', { name: 'dst', environment_id: env.body.id, cluster_id: ids.beta, namespace: nsBeta })).body.id;
  });

  it('lists the workloads of an instance with images, tags and replicas, as the cluster has them', async () => {
    const listed = await call(`/api/v1/services?app_instance_id=${source}`, {}, viewer);
    expect(listed.status).toBe(200);
    const deployments = await alphaDirect.apps.listNamespacedDeployment({ namespace: nsAlpha });
    const fromCluster = deployments.items.map((d) => [d.metadata!.name, d.spec!.template.spec!.containers[0]!.image]).sort();
    expect(listed.body.items.map((w: { name: string; containers: { image: string }[] }) => [w.name, w.containers[0]!.image]).sort()).toEqual(fromCluster);
    const api = listed.body.items.find((w: { name: string }) => w.name === 'api');
    expect(api).toMatchObject({
      kind: 'deployments',
      replicas: 1,
      containers: [{ name: 'app', image: 'registry.example.test:5000/shop/api:2.0', tag: '2.0' }],
    });
    const searched = await call(`/api/v1/services?app_instance_id=${source}&search=WE&kind=deployments`, {}, viewer);
    expect(searched.body.items.map((w: { name: string }) => w.name)).toEqual(['web']);
    expect((await call(`/api/v1/services?app_instance_id=${source}&environment_id=${source}`, {}, viewer)).status).toBe(400);
  });

  it('reports exactly the workloads, images and environment variables that differ', async () => {
    const compared = await call(`/api/v1/services/compare?source=${source}&target=${target}`, {}, viewer);
    expect(compared.status).toBe(200);
    const states = Object.fromEntries(compared.body.items.map((i: { name: string; state: string }) => [i.name, i.state]));
    expect(states).toEqual({ api: 'different', web: 'different', worker: 'only_in_source' });
    const web = compared.body.items.find((i: { name: string }) => i.name === 'web');
    expect(web.containers).toEqual([
      { name: 'app', state: 'different', source_image: 'nginx:1.25', target_image: 'nginx:1.27', source_tag: '1.25', target_tag: '1.27' },
    ]);
    // api runs the same image; only its MODE variable (it names the namespace) does not match, and its value is never shown.
    const api = compared.body.items.find((i: { name: string }) => i.name === 'api');
    expect(api.containers[0].state).toBe('equal');
    expect(api.env).toEqual({ different: ['app/MODE'], only_in_source: [], only_in_target: [] });
    expect(compared.body.summary).toEqual({ compared: 3, equal: 0, different: 2, only_in_source: 1, only_in_target: 0 });
    expect(JSON.stringify(compared.body)).not.toContain(`mode-${nsAlpha}`);
  });

  it('compares ConfigMaps key by key and lists an instance’s ConfigMaps with their keys', async () => {
    const compared = await call(`/api/v1/configmaps/compare?source=${source}&target=${target}`, {}, viewer);
    expect(compared.status).toBe(200);
    // kube-root-ca.crt, which each cluster puts in every namespace, is left out.
    expect(compared.body.items.map((i: { name: string }) => i.name)).toEqual(['app-config']);
    expect(compared.body.items[0].state).toBe('different');
    expect(compared.body.items[0].keys).toEqual([
      { key: 'FEATURE_X', state: 'different' },
      { key: 'LOG_LEVEL', state: 'equal' },
      { key: 'ONLY_SOURCE', state: 'only_in_source' },
      { key: 'ONLY_TARGET', state: 'only_in_target' },
    ]);
    const listed = await call(`/api/v1/configmaps/${source}`, {}, viewer);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      app_instance_id: source,
      items: [
        {
          name: 'app-config',
          keys: [
            { key: 'FEATURE_X', bytes: 2 },
            { key: 'LOG_LEVEL', bytes: 4 },
            { key: 'ONLY_SOURCE', bytes: 3 },
          ],
        },
      ],
    });
  });

  it('says which Secret keys differ without any value, encoding or digest of one in the answer', async () => {
    const res = await hub.fetch(`/api/v1/secrets/compare?source=${source}&target=${target}`, { headers: viewer });
    expect(res.status).toBe(200);
    const text = await res.text();
    const body = JSON.parse(text);
    expect(body.items.map((i: { name: string }) => i.name)).toEqual(['app-secret']);
    expect(body.items[0]).toMatchObject({ state: 'different', type_differs: false });
    expect(body.items[0].keys).toEqual([
      { key: 'password', state: 'different' },
      { key: 'token', state: 'only_in_target' },
      { key: 'user', state: 'equal' },
    ]);
    for (const value of Object.values(secrets)) {
      expect(text).not.toContain(value);
      expect(text).not.toContain(Buffer.from(value).toString('base64'));
    }
    expect(text).not.toMatch(/[0-9a-f]{64}/);
    expect(text).not.toMatch(/sha256|digest/);
  });

  it('refuses an instance the caller may not see, and a compare over the object cap with a clear answer', async () => {
    expect((await call(`/api/v1/services/compare?source=${source}&target=${target}`, {}, hidden)).status).toBe(404);
    const limits = hub.deps.environments.limits;
    const before = limits.maxCompareObjects;
    limits.maxCompareObjects = 2;
    try {
      const over = await call(`/api/v1/services/compare?source=${source}&target=${target}`, {}, viewer);
      expect(over.status).toBe(422);
      expect(over.body).toMatchObject({ code: 'TOO_MANY_OBJECTS', limit: 2, kind: 'deployments' });
    } finally {
      limits.maxCompareObjects = before;
    }
  });
});
