import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directClient, testClusters } from '#test/support/clusters.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { ADMIN_PASSWORD, bearer, createUser, jsonPost, login } from '#test/support/identity.ts';
import { deployFixture, secretValue } from './fixture.ts';

/**
 * Issue 17 items 6 and 7 over real HTTP against the test bed's two clusters: a dry run changes
 * nothing, a sync changes the target (as the cluster itself shows) and is kept in history, a
 * rollback puts back what it replaced, an environment that requires approval refuses direct
 * syncs, and Secret values reach the target without passing through any answer.
 */
let hub: TestHub;
let admin: Record<string, string>;
let operator: Record<string, string>;
let viewer: Record<string, string>;
let approver: Record<string, string>;
/** Viewer on alpha (the source), operator on beta (the targets). */
let half: Record<string, string>;
let source: string;
let target: string;
let guarded: string;
let devId: string;
let stagingId: string;
const [alpha, beta] = testClusters();
const alphaDirect = directClient(alpha!.adminKubeconfig);
const betaDirect = directClient(beta!.adminKubeconfig);
const suffix = randomBytes(3).toString('hex');
const nsAlpha = `sync-a-${suffix}`;
const nsBeta = `sync-b-${suffix}`;
const nsGuarded = `sync-g-${suffix}`;
const secrets = { alphaPassword: secretValue(), betaPassword: secretValue(), user: secretValue(), guarded: secretValue() };

async function call(path: string, init: RequestInit = {}, as = operator) {
  const res = await hub.fetch(path, { ...init, headers: { ...as, ...(init.headers as Record<string, string>) } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, text };
}
const post = (path: string, body: unknown, as = operator) => call(path, jsonPost(body), as);

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const betaImage = async (name: string) =>
  (await betaDirect.apps.readNamespacedDeployment({ namespace: nsBeta, name })).spec!.template.spec!.containers[0]!.image;

beforeAll(async () => {
  hub = await startTestHub();
  for (const value of Object.values(secrets)) hub.rememberSecret(value, 'fixture Secret value');
  const adminToken = (await login(hub, 'admin', ADMIN_PASSWORD)).access_token;
  admin = bearer(adminToken);
  const users: Record<string, string> = {};
  const clusterIds: Record<string, string> = {};
  for (const [name, role] of [
    ['sync-ops', 'operator'],
    ['sync-watcher', 'viewer'],
    ['sync-approver', 'operator'],
    ['sync-half', 'viewer'],
  ] as const) {
    const { id, password } = await createUser(hub, adminToken, name, role);
    const token = bearer((await login(hub, name, password)).access_token);
    if (name === 'sync-ops') operator = token;
    else if (name === 'sync-approver') approver = token;
    else if (name === 'sync-half') half = token;
    else viewer = token;
    users[name] = id;
  }
  for (const [name, cluster] of [
    ['alpha', alpha!],
    ['beta', beta!],
  ] as const) {
    const registered = await post('/api/v1/clusters', { name, kubeconfig: cluster.adminKubeconfig }, admin);
    expect(registered.status).toBe(201);
    clusterIds[name] = registered.body.id;
  }
  expect((await post(`/api/v1/users/${users['sync-half']}/cluster-permissions`, { cluster_id: clusterIds.beta, role: 'operator' }, admin)).status).toBe(200);
  await deployFixture(alphaDirect, nsAlpha, {
    images: { web: 'nginx:1.25', api: 'shop/api:2.0' },
    config: { LOG_LEVEL: 'debug', FEATURE_X: 'on' },
    secret: { password: secrets.alphaPassword, user: secrets.user },
  });
  await deployFixture(betaDirect, nsBeta, {
    images: { web: 'nginx:1.27', api: 'shop/api:1.9' },
    config: { LOG_LEVEL: 'info', FEATURE_X: 'off' },
    secret: { password: secrets.betaPassword, user: secrets.user },
  });
  await deployFixture(betaDirect, nsGuarded, {
    images: { web: 'nginx:1.20', api: 'shop/api:1.0' },
    config: {},
    secret: { password: secrets.guarded },
  });
  const dev = await post('/api/v1/environments', { name: 'dev', order: 0 });
  const staging = await post('/api/v1/environments', { name: 'staging', order: 10 });
  const prod = await post('/api/v1/environments', { name: 'prod', order: 20, require_approval: true });
  const instance = async (name: string, environment: string, cluster: string, namespace: string) =>
    (await post('/api/v1/app-instances', { name, environment_id: environment, cluster_id: cluster, namespace })).body.id as string;
  devId = dev.body.id;
  stagingId = staging.body.id;
  source = await instance('shop', dev.body.id, clusterIds.alpha!, nsAlpha);
  target = await instance('shop', staging.body.id, clusterIds.beta!, nsBeta);
  guarded = await instance('shop', prod.body.id, clusterIds.beta!, nsGuarded);
});

afterAll(async () => {
  await alphaDirect.core.deleteNamespace({ name: nsAlpha }).catch(() => undefined);
  await betaDirect.core.deleteNamespace({ name: nsBeta }).catch(() => undefined);
  await betaDirect.core.deleteNamespace({ name: nsGuarded }).catch(() => undefined);
  await hub?.stop();
});

describe('service sync', () => {
  const body = () => ({ source_app_instance_id: source, target_app_instance_ids: [target], services: ['web'] });

  it('answers the exact changes of a dry run and makes none', async () => {
    const dry = await post('/api/v1/services/sync', { ...body(), dry_run: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ id: null, dry_run: true, state: 'planned' });
    expect(dry.body.results).toEqual([
      {
        app_instance_id: target,
        environment_id: expect.any(String),
        state: 'applied',
        changes: [{ object: 'deployments/web', field: 'app', before: 'nginx:1.27', after: 'nginx:1.25' }],
      },
    ]);
    expect(await betaImage('web')).toBe('nginx:1.27');
    expect((await call('/api/v1/services/sync/history', {}, viewer)).body.items).toEqual([]);
  });

  it('is refused to a viewer, into an environment that requires approval, and for a workload the source does not run', async () => {
    expect((await post('/api/v1/services/sync', body(), viewer)).status).toBe(403);
    const refused = await post('/api/v1/services/sync', { ...body(), target_app_instance_ids: [guarded] });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'PROMOTION_REQUIRED', promotion_route: '/api/v1/promotions' });
    expect((await betaDirect.apps.readNamespacedDeployment({ namespace: nsGuarded, name: 'web' })).spec!.template.spec!.containers[0]!.image).toBe(
      'nginx:1.20',
    );
    const unknown = await post('/api/v1/services/sync', { ...body(), services: ['nope'] });
    expect(unknown.status).toBe(400);
  });

  it('changes the target’s image, whose rollout completes, keeps it in history, and rolls back to the old tag', async () => {
    const synced = await post('/api/v1/services/sync', body());
    expect(synced.status).toBe(200);
    expect(synced.body.state).toBe('applied');
    expect(await betaImage('web')).toBe('nginx:1.25');
    await eventually(
      () => betaDirect.apps.readNamespacedDeployment({ namespace: nsBeta, name: 'web' }),
      (d) =>
        (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) &&
        d.status?.updatedReplicas === 1 &&
        d.status?.availableReplicas === 1 &&
        !d.status?.unavailableReplicas,
      'the rollout of web',
    );
    // api was not named: it keeps its own tag.
    expect(await betaImage('api')).toBe('shop/api:1.9');
    const compared = await call(`/api/v1/services/compare?source=${source}&target=${target}`, {}, viewer);
    expect(compared.body.items.find((i: { name: string }) => i.name === 'web').containers[0].state).toBe('equal');

    const history = await call(`/api/v1/services/sync/history?app_instance_id=${target}&name=web`, {}, viewer);
    expect(history.body.items).toHaveLength(1);
    expect(history.body.items[0]).toMatchObject({
      id: synced.body.id,
      kind: 'services',
      username: 'sync-ops',
      state: 'applied',
      results: [{ changes: [{ object: 'deployments/web', field: 'app', before: 'nginx:1.27', after: 'nginx:1.25' }] }],
    });
    expect((await call(`/api/v1/services/sync/history?name=api`, {}, viewer)).body.items).toEqual([]);
    const at = Date.parse(history.body.items[0].at);
    const around = (from: number, to: number) =>
      call(
        `/api/v1/services/sync/history?since=${new Date(at + from).toISOString()}&until=${encodeURIComponent(new Date(at + to).toISOString().replace('Z', '+00:00'))}`,
        {},
        viewer,
      );
    expect((await around(-1000, 1000)).body.items).toHaveLength(1);
    expect((await around(1000, 2000)).body.items).toEqual([]);
    expect((await around(1000, -1000)).status).toBe(400);

    expect((await post(`/api/v1/sync-operations/${synced.body.id}/rollback`, {}, viewer)).status).toBe(403);
    const back = await post(`/api/v1/sync-operations/${synced.body.id}/rollback`, {});
    expect(back.status).toBe(200);
    expect(back.body.state).toBe('applied');
    expect(await betaImage('web')).toBe('nginx:1.27');
    expect((await post(`/api/v1/sync-operations/${synced.body.id}/rollback`, {})).body.code).toBe('ALREADY_ROLLED_BACK');
    const after = (await call('/api/v1/services/sync/history', {}, viewer)).body.items;
    expect(after.map((e: { state: string; rollback_of?: string }) => [e.state, e.rollback_of ?? null])).toEqual([
      ['applied', synced.body.id],
      ['rolled_back', null],
    ]);
    const audit = await call('/api/v1/audit-log?action=services.sync', {}, admin);
    expect(audit.body.items.map((e: { status_code: number }) => e.status_code).sort()).toEqual([200, 200, 400, 403, 409]);
  });
});

describe('ConfigMap and Secret key sync', () => {
  const keys = (name: string, list: string[]) => ({ source_app_instance_id: source, target_app_instance_id: target, name, keys: list });

  it('lands a ConfigMap key on the target, leaves the others, and rolls it back', async () => {
    const parity = async () => (await call(`/api/v1/environments/${stagingId}/parity?against=${devId}`, {}, viewer)).body;
    const before = await parity();
    expect((await call(`/api/v1/environments/${stagingId}/parity`, {}, viewer)).status).toBe(400);
    expect(before).toMatchObject({ compared: 4, matching: 0 });
    expect(before.differences).toEqual(
      expect.arrayContaining([
        { app_instance: 'shop', kind: 'configmap', name: 'app-config/LOG_LEVEL', state: 'different' },
        { app_instance: 'shop', kind: 'workload', name: 'deployments/web', state: 'different' },
      ]),
    );
    const synced = await post('/api/v1/configmaps/sync', keys('app-config', ['LOG_LEVEL']));
    expect(synced.status).toBe(200);
    expect(synced.body.results[0].changes).toEqual([
      {
        object: 'app-config',
        field: 'LOG_LEVEL',
        before: 'info',
        after: 'debug',
        before_digest: expect.stringMatching(/^[0-9a-f]{64}$/),
        after_digest: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    ]);
    const read = async () => (await betaDirect.core.readNamespacedConfigMap({ namespace: nsBeta, name: 'app-config' })).data;
    expect(await read()).toEqual({ LOG_LEVEL: 'debug', FEATURE_X: 'off' });
    // Parity goes up: one of its four items (web, api, two keys) matches now.
    expect(await parity()).toMatchObject({ compared: 4, matching: 1, score: 0.25 });
    expect((await post(`/api/v1/sync-operations/${synced.body.id}/rollback`, {})).status).toBe(200);
    expect(await read()).toEqual({ LOG_LEVEL: 'info', FEATURE_X: 'off' });
  });

  it('moves a Secret value from cluster to cluster without it in any answer, and refuses to roll that back', async () => {
    const dry = await post('/api/v1/secrets/sync', { ...keys('app-secret', ['password', 'user']), dry_run: true });
    // An operator of the target who only views the source may copy ConfigMap keys, never a Secret's values.
    expect((await post('/api/v1/configmaps/sync', { ...keys('app-config', ['LOG_LEVEL']), dry_run: true }, half)).status).toBe(200);
    expect((await post('/api/v1/secrets/sync', { ...keys('app-secret', ['password']), dry_run: true }, half)).status).toBe(403);
    expect(dry.status).toBe(200);
    // user is equal already: only password would change.
    expect(dry.body.results[0].changes.map((c: { field: string; before: null; after: null }) => [c.field, c.before, c.after])).toEqual([
      ['password', null, null],
    ]);
    const read = async () => (await betaDirect.core.readNamespacedSecret({ namespace: nsBeta, name: 'app-secret' })).data!;
    expect(Buffer.from((await read()).password!, 'base64').toString()).toBe(secrets.betaPassword);

    const synced = await post('/api/v1/secrets/sync', keys('app-secret', ['password']));
    expect(synced.status).toBe(200);
    expect(Buffer.from((await read()).password!, 'base64').toString()).toBe(secrets.alphaPassword);
    const history = await call('/api/v1/secrets/sync/history', {}, viewer);
    expect(history.body.items[0].results[0].changes[0]).toMatchObject({ field: 'password', before: null, after: null });
    const compared = await call(`/api/v1/secrets/compare?source=${source}&target=${target}`, {}, viewer);
    expect(compared.body.items[0].keys).toEqual([
      { key: 'password', state: 'equal' },
      { key: 'user', state: 'equal' },
    ]);
    for (const answer of [dry.text, synced.text, history.text, compared.text]) {
      for (const value of Object.values(secrets)) {
        expect(answer).not.toContain(value);
        expect(answer).not.toContain(Buffer.from(value).toString('base64'));
      }
    }
    const back = await post(`/api/v1/sync-operations/${synced.body.id}/rollback`, {});
    expect(back.status).toBe(422);
    expect(back.body.code).toBe('ROLLBACK_UNAVAILABLE');
    // Into an environment that requires approval, a key sync is refused as a service sync is.
    expect((await post('/api/v1/secrets/sync', { ...keys('app-secret', ['user']), target_app_instance_id: guarded })).status).toBe(409);
  });
});

describe('promotions', () => {
  const guardedImage = async () =>
    (await betaDirect.apps.readNamespacedDeployment({ namespace: nsGuarded, name: 'web' })).spec!.template.spec!.containers[0]!.image;

  it('wait for a second user, are refused to their requester and to a viewer, and once approved are applied and verified', async () => {
    const asked = await post('/api/v1/promotions', {
      source_app_instance_id: source,
      target_app_instance_id: guarded,
      services: ['web'],
      secrets: [{ name: 'app-secret', keys: ['password'] }],
      reason: 'release 1.25 to prod',
    });
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({ state: 'pending', requester_name: 'sync-ops', services: ['web'] });
    expect(await guardedImage()).toBe('nginx:1.20');

    const own = await post(`/api/v1/promotions/${asked.body.id}/approve`, {});
    expect(own.status).toBe(403);
    expect((await post(`/api/v1/promotions/${asked.body.id}/approve`, {}, viewer)).status).toBe(403);
    expect((await call(`/api/v1/promotions/${asked.body.id}`, {}, viewer)).body.state).toBe('pending');
    expect(await guardedImage()).toBe('nginx:1.20');

    const approved = await post(`/api/v1/promotions/${asked.body.id}/approve`, {}, approver);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ state: 'applied', decider_name: 'sync-approver' });
    expect(approved.body.sync_ids).toHaveLength(2);
    expect(await guardedImage()).toBe('nginx:1.25');
    const password = (await betaDirect.core.readNamespacedSecret({ namespace: nsGuarded, name: 'app-secret' })).data!.password!;
    expect(Buffer.from(password, 'base64').toString()).toBe(secrets.alphaPassword);
    expect((await post(`/api/v1/promotions/${asked.body.id}/approve`, {}, approver)).body.code).toBe('PROMOTION_DECIDED');

    const verified = await eventually(
      () => call(`/api/v1/promotions/${asked.body.id}`, {}, viewer),
      (r) => r.body.state !== 'applied',
      'the promotion to be verified',
    );
    expect(verified.body.state).toBe('verified');
    const history = await call(`/api/v1/services/sync/history?app_instance_id=${guarded}`, {}, viewer);
    expect(history.body.items.map((e: { id: string; username: string }) => [e.id, e.username])).toEqual([[approved.body.sync_ids[0], 'sync-approver']]);
    const listed = await call('/api/v1/promotions?state=verified', {}, viewer);
    expect(listed.body.items.map((p: { id: string }) => p.id)).toEqual([asked.body.id]);
    const audit = await call('/api/v1/audit-log?action=promotion.approve', {}, admin);
    expect(audit.body.items.map((e: { status_code: number }) => e.status_code).sort()).toEqual([200, 403, 403, 409]);
  });

  it('can be rejected by a second user, and then changes nothing', async () => {
    const asked = await post('/api/v1/promotions', { source_app_instance_id: source, target_app_instance_id: target, services: ['api'], reason: 'try 2.0' });
    const rejected = await post(`/api/v1/promotions/${asked.body.id}/reject`, {}, approver);
    expect(rejected.status).toBe(200);
    expect(rejected.body.state).toBe('rejected');
    expect((await post(`/api/v1/promotions/${asked.body.id}/approve`, {}, approver)).status).toBe(409);
    expect(await betaImage('api')).toBe('shop/api:1.9');
    expect((await post('/api/v1/promotions', { source_app_instance_id: source, target_app_instance_id: target, reason: 'nothing' })).status).toBe(400);
  });
});
