/**
 * What a per-cluster admin (a global viewer with admin on one cluster) may not do, against the test
 * bed's real clusters: repoint their cluster at another server or at another cluster's import, mint
 * a credential above their standing through onboarding, or bind a role to an account the hub did not
 * create. And what global admins may not do: replace, with `force`, a cluster their override keeps
 * them from, learn a hidden cluster's name from the answer, or edit their own grants.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directClient, statusOf, testClusters, tokenOf } from '#test/support/clusters.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { json } from '#test/support/http.ts';
import { ADMIN_PASSWORD, bearer, createUser, jsonPost, login } from '#test/support/identity.ts';
import { SecretNotFoundError } from '#shared/ports/secret-store.ts';

let hub: TestHub;
let adminToken: string;
let admin: Record<string, string>;
const [alpha, beta] = testClusters();
const ids: Record<string, string> = {};
const run = randomBytes(3).toString('hex');
const direct = directClient(alpha!.adminKubeconfig);

const patch = (id: string, body: unknown, headers: Record<string, string>) =>
  hub.fetch(`/api/v1/clusters/${id}`, { method: 'PATCH', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
const grant = (userId: string, clusterId: string, role: string, headers = admin) =>
  hub.fetch(`/api/v1/users/${userId}/cluster-permissions`, jsonPost({ cluster_id: clusterId, role }, headers));
const stored = async (id: string) => (await hub.deps.clusters.clusters.get(id))!;

/** A user with a global role and, optionally, one override; their auth headers and id. */
async function user(name: string, role: string, override?: { cluster: string; role: string }) {
  const { id, password } = await createUser(hub, adminToken, `${name}-${run}`, role);
  if (override) expect((await grant(id, override.cluster, override.role)).status).toBe(200);
  return { id, headers: bearer((await login(hub, `${name}-${run}`, password)).access_token) };
}

beforeAll(async () => {
  hub = await startTestHub();
  adminToken = (await login(hub, 'admin', ADMIN_PASSWORD)).access_token;
  admin = bearer(adminToken);
  const res = await hub.fetch('/api/v1/clusters', jsonPost({ name: 'alpha', kubeconfig: alpha!.adminKubeconfig }, admin));
  expect(res.status).toBe(201);
  ids.alpha = (await json(res)).id;
});
afterAll(async () => {
  for (const [namespace, name] of [
    ['clusterhub-system', `hub-viewer-${run}`],
    ['clusterhub-system', `app-runner-${run}`],
    [`clusterhub-ops-${run}`, `ops-${run}`],
  ]) {
    await direct.rbac.deleteClusterRoleBinding({ name: `clusterhub:${namespace}:${name}` }).catch(() => undefined);
    await direct.core.deleteNamespacedServiceAccount({ name: name!, namespace: namespace! }).catch(() => undefined);
  }
  await direct.core.deleteNamespace({ name: `clusterhub-ops-${run}` }).catch(() => undefined);
  await hub?.stop();
});

describe("a cluster's credential source and server (issue 10.1)", () => {
  it('are changed only by a global admin; an import serves one registration and is deleted', async () => {
    const prefix = hub.deps.config.secretPrefix;
    const importRef = `${prefix}imports/beta-${run}`;
    await hub.deps.secrets.put(importRef, beta!.adminKubeconfig);
    const registered = await hub.fetch('/api/v1/clusters', jsonPost({ name: 'beta', kubeconfig_secret_ref: importRef }, admin));
    expect(registered.status).toBe(201);
    ids.beta = (await json(registered)).id;
    // Consumed: no one can register (or repoint a cluster at) the same import again.
    await expect(hub.deps.secrets.get(importRef)).rejects.toThrow(SecretNotFoundError);
    const again = await hub.fetch('/api/v1/clusters', jsonPost({ name: 'beta-again', kubeconfig_secret_ref: importRef }, admin));
    expect(again.status).toBe(400);

    const carol = await user('carol', 'viewer', { cluster: ids.alpha!, role: 'admin' });
    const before = await stored(ids.alpha!);
    // An import someone left for another registration, an inline kubeconfig, its base64 form: all refused.
    const leftover = `${prefix}imports/leftover-${run}`;
    await hub.deps.secrets.put(leftover, beta!.adminKubeconfig);
    for (const source of [
      { kubeconfig_secret_ref: leftover },
      { kubeconfig: beta!.adminKubeconfig },
      { kubeconfig_base64: Buffer.from(beta!.adminKubeconfig).toString('base64') },
    ]) {
      const res = await patch(ids.alpha!, source, carol.headers);
      expect(res.status, Object.keys(source)[0]).toBe(403);
      expect((await json(res)).detail).toMatch(/global admin role/);
    }
    expect(await hub.deps.secrets.get(leftover)).toContain(beta!.server);
    const after = await stored(ids.alpha!);
    expect({ ref: after.credentialRef, server: after.serverUrl }).toEqual({ ref: before.credentialRef, server: before.serverUrl });

    // What a per-cluster admin could do before still works on their cluster, and only there.
    const relabelled = await patch(ids.alpha!, { description: 'carol was here', labels: { team: 'carol' } }, carol.headers);
    expect(relabelled.status).toBe(200);
    expect(await json(relabelled)).toMatchObject({ description: 'carol was here', labels: { team: 'carol' } });
    expect((await patch(ids.beta!, { description: 'not mine' }, carol.headers)).status).toBe(403);
    expect((await hub.fetch(`/api/v1/clusters/${ids.beta}`, { method: 'DELETE', headers: carol.headers })).status).toBe(403);

    // A global admin may, and the import used is deleted.
    const replaced = await patch(ids.alpha!, { kubeconfig_secret_ref: leftover }, admin);
    expect(replaced.status).toBe(200);
    await expect(hub.deps.secrets.get(leftover)).rejects.toThrow(SecretNotFoundError);
    expect((await patch(ids.alpha!, { kubeconfig: alpha!.adminKubeconfig }, admin)).status).toBe(200);
    expect((await stored(ids.alpha!)).serverUrl).toBe(alpha!.server);
  });

  it('is declared by each route: the document says the role its guard enforces', async () => {
    const doc = await json(await hub.fetch('/api/v1/openapi.json'));
    const op = (path: string, method: string) => doc.paths[`/api/v1/clusters${path}`][method];
    expect(op('/{clusterId}', 'patch').description).toMatch(/^Needs admin on the cluster .*A credential source also needs the global admin role/);
    expect(op('/{clusterId}', 'delete').description).toMatch(/^Needs admin on the cluster/);
    expect(op('/{clusterId}/service-account', 'post').description).toMatch(/^Needs admin on the cluster/);
    expect(op('/{clusterId}/set-active', 'post').description).toMatch(/^Needs operator on the cluster/);
    expect(op('/{clusterId}/kubeconfig', 'get').description).toMatch(/^Needs the global admin role and admin on the cluster/);
    expect(op('/{clusterId}/summary', 'get').description).toMatch(/^Needs viewer on the cluster/);
    expect(op('', 'post').description).toMatch(/^Needs the global admin role/);
    for (const [path, method] of [
      ['/{clusterId}', 'patch'],
      ['/{clusterId}', 'delete'],
      ['/{clusterId}/service-account', 'post'],
      ['/{clusterId}/set-active', 'post'],
    ]) {
      expect(Object.keys(op(path!, method!).responses), `${method} ${path}`).toEqual(expect.arrayContaining(['403', '404']));
    }
  });
});

describe('global admins and per-cluster overrides (issue 10.11)', () => {
  it('replaces a cluster with force only for an admin on it; a hidden one answers as a taken name would, and stays', async () => {
    const before = await stored(ids.alpha!);
    const forced = (headers: Record<string, string>, force = true) =>
      hub.fetch('/api/v1/clusters', jsonPost({ name: 'alpha', kubeconfig: beta!.adminKubeconfig, force }, headers));

    for (const role of ['viewer', 'operator']) {
      const limited = await user(`gadmin-${role}`, 'admin', { cluster: ids.alpha!, role });
      const res = await forced(limited.headers);
      expect(res.status, role).toBe(403);
    }

    const hidden = await user('gadmin-none', 'admin', { cluster: ids.alpha!, role: 'none' });
    const withForce = await forced(hidden.headers);
    const withoutForce = await forced(hidden.headers, false);
    for (const res of [withForce, withoutForce]) {
      expect(res.status).toBe(409);
      const problem = await json(res);
      expect(problem.code).toBe('CLUSTER_EXISTS');
      // Nothing points at the hidden cluster or at force as a way in.
      expect(problem.detail).not.toMatch(/force/);
      expect(JSON.stringify(problem)).not.toContain(ids.alpha!);
    }
    // An admin who sees it is told how to replace it.
    expect((await json(await forced(admin, false))).detail).toMatch(/send force: true/);

    const after = await stored(ids.alpha!);
    expect({ ref: after.credentialRef, server: after.serverUrl, version: after.version }).toEqual({
      ref: before.credentialRef,
      server: before.serverUrl,
      version: before.version,
    });
    // No credential was left behind by the refused attempts.
    await expect(hub.assertNoLeaks()).resolves.toBeUndefined();
  });

  it('never lets anyone set or remove their own grants', async () => {
    const { id, headers: self } = await user('self', 'admin', { cluster: ids.alpha!, role: 'none' });
    const raised = await grant(id, ids.alpha!, 'admin', self);
    expect(raised.status).toBe(403);
    expect((await json(raised)).detail).toMatch(/your own cluster permissions/);
    expect((await hub.fetch(`/api/v1/users/${id}/cluster-permissions/${ids.alpha}`, { method: 'DELETE', headers: self })).status).toBe(403);
    expect(await json(await hub.fetch(`/api/v1/users/${id}/cluster-permissions`, { headers: admin }))).toEqual({
      items: [{ cluster_id: ids.alpha, role: 'none' }],
    });
    // Another admin still can.
    expect((await hub.fetch(`/api/v1/users/${id}/cluster-permissions/${ids.alpha}`, { method: 'DELETE', headers: admin })).status).toBe(204);
  });
});

describe('service-account onboarding by a per-cluster admin (issue 10.2)', () => {
  const onboard = (headers: Record<string, string>, body: Record<string, unknown>) =>
    hub.fetch(`/api/v1/clusters/${ids.alpha}/service-account`, jsonPost({ namespace: 'clusterhub-system', role: 'view', ...body }, headers));
  const tokenSecretsIn = async (namespace: string) =>
    (await direct.core.listNamespacedSecret({ namespace, fieldSelector: 'type=kubernetes.io/service-account-token' })).items.map((s) => s.metadata?.name);
  let carol: Record<string, string>;

  beforeAll(async () => {
    carol = (await user('carol-onboard', 'viewer', { cluster: ids.alpha!, role: 'admin' })).headers;
    await direct.core.createNamespace({ body: { metadata: { name: 'clusterhub-system' } } }).catch(() => undefined);
  });

  it('refuses roles and namespaces beyond the allow-lists, creating nothing', async () => {
    for (const body of [
      { service_account: `x-${run}`, role: 'cluster-admin' },
      { service_account: `x-${run}`, role: 'admin' },
      { service_account: `x-${run}`, namespace: 'kube-system' },
    ]) {
      const res = await onboard(carol, body);
      expect(res.status, JSON.stringify(body)).toBe(403);
      expect((await json(res)).detail).toMatch(/needs the global admin role/);
    }
    expect(await statusOf(direct.core.readNamespacedServiceAccount({ name: `x-${run}`, namespace: 'clusterhub-system' }))).toBe(404);
    expect(await statusOf(direct.core.readNamespacedServiceAccount({ name: `x-${run}`, namespace: 'kube-system' }))).toBe(404);
    expect(await statusOf(direct.rbac.readClusterRoleBinding({ name: `clusterhub:clusterhub-system:x-${run}` }))).toBe(404);
  });

  it('refuses an existing account the hub did not create, binding nothing to it', async () => {
    await direct.core.createNamespacedServiceAccount({ namespace: 'clusterhub-system', body: { metadata: { name: `app-runner-${run}` } } });
    for (const headers of [carol, admin]) {
      const res = await onboard(headers, { service_account: `app-runner-${run}` });
      expect(res.status).toBe(409);
      expect((await json(res)).code).toBe('SERVICE_ACCOUNT_NOT_MANAGED');
    }
    expect(await statusOf(direct.rbac.readClusterRoleBinding({ name: `clusterhub:clusterhub-system:app-runner-${run}` }))).toBe(404);
  });

  it('lets a global admin go beyond the allow-lists; without use_for_hub no token is made', async () => {
    const res = await onboard(admin, { service_account: `ops-${run}`, namespace: `clusterhub-ops-${run}`, role: 'admin' });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ role: 'admin', used_for_hub: false, token_expires_at: null });
    expect((await direct.rbac.readClusterRoleBinding({ name: `clusterhub:clusterhub-ops-${run}:ops-${run}` })).roleRef.name).toBe('admin');
    expect(await tokenSecretsIn(`clusterhub-ops-${run}`)).toEqual([]);
  });

  it('gives the hub an expiring token of an allowed account and leaves no token in the cluster', async () => {
    const res = await onboard(carol, { service_account: `hub-viewer-${run}`, use_for_hub: true });
    expect(res.status).toBe(200);
    const result = await json(res);
    expect(result).toMatchObject({ service_account: `hub-viewer-${run}`, role: 'view', used_for_hub: true });
    const expires = Date.parse(result.token_expires_at);
    expect(expires).toBeGreaterThan(Date.now());
    expect(expires).toBeLessThanOrEqual(Date.now() + 90 * 86_400_000 + 60_000);

    const token = tokenOf(await hub.deps.secrets.get((await stored(ids.alpha!)).credentialRef));
    hub.rememberSecret(token, `service account clusterhub-system/hub-viewer-${run} token`);
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
    expect(claims.exp * 1000).toBe(expires);
    expect(await tokenSecretsIn('clusterhub-system')).not.toContain(`hub-viewer-${run}-clusterhub-token`);
    const view = await json(await hub.fetch(`/api/v1/clusters/${ids.alpha}`, { headers: carol }));
    expect(view.auth.service_account).toEqual({
      name: `hub-viewer-${run}`,
      namespace: 'clusterhub-system',
      role: 'view',
      token_expires_at: result.token_expires_at,
    });
    expect((await hub.fetch(`/api/v1/clusters/${ids.alpha}/summary`, { headers: carol })).status).toBe(200);
  });
});
