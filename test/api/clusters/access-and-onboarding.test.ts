import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directClient, testClusters, tokenOf } from '#test/support/clusters.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { json } from '#test/support/http.ts';
import { ADMIN_PASSWORD, bearer, createUser, jsonPost, login } from '#test/support/identity.ts';
import { SecretNotFoundError } from '#shared/ports/secret-store.ts';

let hub: TestHub;
let admin: Record<string, string>;
let adminToken: string;
const [alpha, beta] = testClusters();
const ids: Record<string, string> = {};

beforeAll(async () => {
  hub = await startTestHub({ KUBECONFIG: alpha!.kubeconfig });
  adminToken = (await login(hub, 'admin', ADMIN_PASSWORD)).access_token;
  admin = bearer(adminToken);
  for (const [name, c] of [
    ['alpha', alpha!],
    ['beta', beta!],
  ] as const) {
    const res = await hub.fetch('/api/v1/clusters', jsonPost({ name, kubeconfig: c.adminKubeconfig }, admin));
    ids[name] = (await json(res)).id;
  }
});
afterAll(async () => hub?.stop());

describe('per-cluster authorization', () => {
  it('shows a user only the clusters they may see; the other answers 404 everywhere', async () => {
    const { id, password } = await createUser(hub, adminToken, 'dana', 'viewer');
    const grant = await hub.fetch(`/api/v1/users/${id}/cluster-permissions`, jsonPost({ cluster_id: ids.beta, role: 'none' }, admin));
    expect(grant.status).toBe(200);
    const dana = bearer((await login(hub, 'dana', password)).access_token);
    expect((await json(await hub.fetch('/api/v1/clusters', { headers: dana }))).items.map((c: { name: string }) => c.name)).toEqual(['alpha']);
    for (const path of ['', '/summary', '/status', '/namespaces', '/overview']) {
      const res = await hub.fetch(`/api/v1/clusters/${ids.beta}${path}`, { headers: dana });
      expect(res.status, path).toBe(404);
      expect(await res.text()).not.toContain('beta');
    }
    expect((await hub.fetch(`/api/v1/clusters/${ids.alpha}/summary`, { headers: dana })).status).toBe(200);
    // A viewer cannot change a cluster it can see.
    expect((await hub.fetch(`/api/v1/clusters/${ids.alpha}/set-active`, jsonPost({ active: false }, dana))).status).toBe(403);
    expect((await hub.fetch('/api/v1/clusters', jsonPost({ name: 'x', kubeconfig: alpha!.adminKubeconfig }, dana))).status).toBe(403);
  });

  it('lets an override raise a viewer to operator on one cluster only', async () => {
    const { id, password } = await createUser(hub, adminToken, 'eve', 'viewer');
    await hub.fetch(`/api/v1/users/${id}/cluster-permissions`, jsonPost({ cluster_id: ids.alpha, role: 'operator' }, admin));
    const eve = bearer((await login(hub, 'eve', password)).access_token);
    expect((await json(await hub.fetch('/api/v1/auth/me', { headers: eve }))).cluster_permissions).toEqual({ [ids.alpha!]: 'operator' });
    expect((await hub.fetch(`/api/v1/clusters/${ids.alpha}/set-active`, jsonPost({ active: true }, eve))).status).toBe(200);
    expect((await hub.fetch(`/api/v1/clusters/${ids.beta}/set-active`, jsonPost({ active: true }, eve))).status).toBe(403);
  });
});

describe('service-account onboarding (the PX-Backup flow)', () => {
  it('creates the account and its binding, then the hub works with only that account', async () => {
    const body = { service_account: 'hub-reader', namespace: 'clusterhub-system', role: 'view' };
    const onboard = (useForHub: boolean) => hub.fetch(`/api/v1/clusters/${ids.alpha}/service-account`, jsonPost({ ...body, use_for_hub: useForHub }, admin));
    const first = await onboard(false);
    expect(first.status).toBe(200);
    expect(await json(first.clone())).toMatchObject({ used_for_hub: false, token_expires_at: null });
    // Without use_for_hub no token is made: none lies in the cluster for anyone to read.
    const direct = directClient(alpha!.adminKubeconfig);
    const tokenSecrets = async () =>
      (await direct.core.listNamespacedSecret({ namespace: 'clusterhub-system', fieldSelector: 'type=kubernetes.io/service-account-token' })).items.filter(
        (s) => s.metadata?.annotations?.['kubernetes.io/service-account.name'] === 'hub-reader',
      );
    expect(await tokenSecrets()).toEqual([]);
    // Repeating it is idempotent: the same account and binding.
    const repeated = await onboard(false);
    expect(repeated.status).toBe(200);
    expect((await json(repeated)).cluster_role_binding).toBe((await json(first)).cluster_role_binding);

    const uploaded = (await hub.deps.clusters.clusters.get(ids.alpha!))!.credentialRef;
    const res = await onboard(true);
    expect(res.status).toBe(200);
    const result = await json(res);
    expect(result).toMatchObject({ name: 'alpha', service_account: 'hub-reader', namespace: 'clusterhub-system', role: 'view', used_for_hub: true });
    expect(result.updated_at).toBeTruthy();
    // The hub's token is a bound one: it expires (it exists only in the hub's secret store, which the leak sweep now watches for).
    expect(Date.parse(result.token_expires_at)).toBeGreaterThan(Date.now());
    const accountToken = tokenOf(await hub.deps.secrets.get((await hub.deps.clusters.clusters.get(ids.alpha!))!.credentialRef));
    hub.rememberSecret(accountToken, 'service account clusterhub-system/hub-reader token');
    expect(await tokenSecrets()).toEqual([]);

    await direct.core.readNamespacedServiceAccount({ name: 'hub-reader', namespace: 'clusterhub-system' });
    const binding = await direct.rbac.readClusterRoleBinding({ name: result.cluster_role_binding });
    expect(binding.roleRef.name).toBe('view');
    expect(binding.subjects).toEqual([expect.objectContaining({ kind: 'ServiceAccount', name: 'hub-reader', namespace: 'clusterhub-system' })]);

    // The stored credential is now the service account's: the admin token is gone from the hub,
    // its secret deleted rather than kept as an older version.
    await expect(hub.deps.secrets.get(uploaded)).rejects.toThrow(SecretNotFoundError);
    const exported = await (await hub.fetch(`/api/v1/clusters/${ids.alpha}/kubeconfig`, { headers: admin })).text();
    expect(exported).not.toContain(tokenOf(alpha!.adminKubeconfig));
    expect(tokenOf(exported)).toBe(accountToken);
    const cluster = await json(await hub.fetch(`/api/v1/clusters/${ids.alpha}`, { headers: admin }));
    expect(cluster.auth).toEqual({
      kind: 'token',
      service_account: { name: 'hub-reader', namespace: 'clusterhub-system', role: 'view', token_expires_at: result.token_expires_at },
    });
    expect((await hub.fetch(`/api/v1/clusters/${ids.alpha}/workloads`, { headers: admin })).status).toBe(200);
    expect((await hub.fetch(`/api/v1/clusters/${ids.alpha}/namespaces`, { headers: admin })).status).toBe(200);
    // With only `view`, the account may read but not change the cluster.
    const asAccount = directClient(exported);
    await asAccount.core.listNamespacedPod({ namespace: 'default' });
    await expect(asAccount.core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'nope' } } })).rejects.toMatchObject({ code: 403 });

    // Repeating it is idempotent: the hub already works as that account, which only proves it still
    // authenticates; same answer, same stored credential.
    const stored = (await hub.deps.clusters.clusters.get(ids.alpha!))!.credentialRef;
    for (const useForHub of [true, false]) {
      const again = await onboard(useForHub);
      expect(again.status).toBe(200);
      expect(await json(again)).toEqual(result);
    }
    expect((await hub.deps.clusters.clusters.get(ids.alpha!))!.credentialRef).toBe(stored);

    // The hub itself now holds only `view`: it can no longer create other accounts on the cluster.
    // The cluster is reachable and said 403, so this is a 422 that says what is missing, not a 503.
    const refused = await hub.fetch(`/api/v1/clusters/${ids.alpha}/service-account`, jsonPost({ ...body, service_account: 'hub-other' }, admin));
    expect(refused.status).toBe(422);
    const problem = await json(refused);
    expect(problem).toMatchObject({ code: 'CLUSTER_FORBIDDEN', reason: 'forbidden' });
    expect(problem.detail).toMatch(/lacks the RBAC permission to onboard a service account \(HTTP 403\)/);
    expect(JSON.stringify(problem)).not.toContain(tokenOf(exported));
  });
});

describe('discovery (local run)', () => {
  it("lists this machine's contexts and registers one of them", async () => {
    const found = await json(await hub.fetch('/api/v1/clusters/discover', { headers: admin }));
    expect(found.items).toEqual([expect.objectContaining({ context: 'alpha', server: alpha!.server, importable: true, current: true })]);
    expect(JSON.stringify(found)).not.toContain(tokenOf(alpha!.adminKubeconfig));
    const res = await hub.fetch('/api/v1/clusters', jsonPost({ name: 'alpha-local', local_context: 'alpha' }, admin));
    expect(res.status).toBe(201);
  });
});

describe('deleting a cluster', () => {
  it('removes its credential, its grants and its record', async () => {
    const { id } = await createUser(hub, adminToken, 'fay', 'viewer');
    await hub.fetch(`/api/v1/users/${id}/cluster-permissions`, jsonPost({ cluster_id: ids.beta, role: 'operator' }, admin));
    const cluster = (await hub.deps.clusters.clusters.get(ids.beta!))!;
    expect((await hub.fetch(`/api/v1/clusters/${ids.beta}`, { method: 'DELETE', headers: admin })).status).toBe(204);
    expect((await hub.fetch(`/api/v1/clusters/${ids.beta}`, { headers: admin })).status).toBe(404);
    await expect(hub.deps.secrets.get(cluster.credentialRef)).rejects.toThrow(SecretNotFoundError);
    expect(await json(await hub.fetch(`/api/v1/users/${id}/cluster-permissions`, { headers: admin }))).toEqual({ items: [] });
    const audit = await json(await hub.fetch('/api/v1/audit-log?action=cluster.delete', { headers: admin }));
    expect(audit.items[0]).toMatchObject({ cluster_id: ids.beta, status_code: 204 });
  });
});
