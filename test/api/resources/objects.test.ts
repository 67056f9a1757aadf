/**
 * The generic object routes over real HTTP against a test bed cluster, compared with what the
 * cluster itself reports: list across pages, kinds by every name, each patch type, delete.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directClient, testClusters } from '#test/support/clusters.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { json } from '#test/support/http.ts';
import { ADMIN_PASSWORD, bearer, jsonPost, login } from '#test/support/identity.ts';

let hub: TestHub;
let admin: Record<string, string>;
let clusterId: string;
let otherClusterId: string;
const [alpha, beta] = testClusters();
const direct = directClient(alpha!.adminKubeconfig);
const namespace = `res-objects-${randomBytes(3).toString('hex')}`;
const base = () => `/api/v1/clusters/${clusterId}`;

beforeAll(async () => {
  hub = await startTestHub();
  admin = bearer((await login(hub, 'admin', ADMIN_PASSWORD)).access_token);
  clusterId = (await json(await hub.fetch('/api/v1/clusters', jsonPost({ name: 'alpha', kubeconfig: alpha!.adminKubeconfig }, admin)))).id;
  otherClusterId = (await json(await hub.fetch('/api/v1/clusters', jsonPost({ name: 'beta', kubeconfig: beta!.adminKubeconfig }, admin)))).id;
  await direct.core.createNamespace({ body: { metadata: { name: namespace } } });
  for (let i = 0; i < 7; i++) {
    await direct.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: `cm-${i}`, labels: { app: 'paged' } }, data: { n: String(i) } } });
  }
});
afterAll(async () => {
  await direct.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  await hub?.stop();
});

describe('GET /resources/{kind}', () => {
  it('pages through a kind with no duplicate and no gap, as the cluster lists it', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const query = new URLSearchParams({ namespace, limit: '3', labelSelector: 'app=paged', ...(token ? { continue: token } : {}) });
      const res = await hub.fetch(`${base()}/resources/configmaps?${query}`, { headers: admin });
      expect(res.status).toBe(200);
      const page = await json(res);
      expect(page.resource).toEqual({ kind: 'ConfigMap', group: '', version: 'v1', plural: 'configmaps', namespaced: true });
      expect(page.items.length).toBeLessThanOrEqual(3);
      for (const item of page.items) expect(item).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace } });
      seen.push(...page.items.map((i: { metadata: { name: string } }) => i.metadata.name));
      token = page.metadata.continue;
      pages++;
    } while (token);
    const fromCluster = (await direct.core.listNamespacedConfigMap({ namespace, labelSelector: 'app=paged' })).items.map((i) => i.metadata!.name!);
    expect(pages).toBe(3);
    expect(seen).toEqual(fromCluster);
    expect(new Set(seen).size).toBe(7);
  });

  it('resolves a Kind, a short name and a group-qualified name to the same resource', async () => {
    for (const kind of ['ConfigMap', 'cm', 'configmap', 'deploy', 'deployments.apps', 'Deployment']) {
      const res = await hub.fetch(`${base()}/resources/${kind}?namespace=${namespace}`, { headers: admin });
      expect(res.status, kind).toBe(200);
      expect((await json(res)).resource.plural, kind).toBe(kind.toLowerCase().startsWith('c') ? 'configmaps' : 'deployments');
    }
  });

  it('answers 404 UNKNOWN_KIND naming the closest kinds it serves', async () => {
    const res = await hub.fetch(`${base()}/resources/configmapz`, { headers: admin });
    expect(res.status).toBe(404);
    const problem = await json(res);
    expect(problem.code).toBe('UNKNOWN_KIND');
    expect(problem.closest).toContain('configmaps');
  });

  it('refuses a continue token on another cluster, kind or selector', async () => {
    const first = await json(await hub.fetch(`${base()}/resources/configmaps?namespace=${namespace}&limit=2`, { headers: admin }));
    const token = first.metadata.continue as string;
    expect(token).toBeTruthy();
    for (const path of [
      `/api/v1/clusters/${otherClusterId}/resources/configmaps?namespace=${namespace}&limit=2&continue=${token}`,
      `${base()}/resources/secrets?namespace=${namespace}&limit=2&continue=${token}`,
      `${base()}/resources/configmaps?namespace=${namespace}&labelSelector=app%3Dpaged&limit=2&continue=${token}`,
    ]) {
      const res = await hub.fetch(path, { headers: admin });
      expect(res.status, path).toBe(400);
      expect((await json(res)).errors[0].field).toBe('continue');
    }
  });
});

describe('GET, PATCH and DELETE /resources/{kind}/{namespace}/{name}', () => {
  const object = (name: string) => `${base()}/resources/configmaps/${namespace}/${name}`;
  const patch = (name: string, type: string, body: unknown) =>
    hub.fetch(object(name), { method: 'PATCH', headers: { ...admin, 'Content-Type': type }, body: JSON.stringify(body) });

  it('reads one object, and a cluster-scoped one with - as its namespace', async () => {
    const res = await hub.fetch(object('cm-0'), { headers: admin });
    expect(res.status).toBe(200);
    expect((await json(res)).object).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'cm-0', namespace }, data: { n: '0' } });
    const ns = await hub.fetch(`${base()}/resources/namespaces/-/${namespace}`, { headers: admin });
    expect(ns.status).toBe(200);
    expect((await json(ns)).object.metadata.name).toBe(namespace);
    const missing = await hub.fetch(object('nope'), { headers: admin });
    expect(missing.status).toBe(404);
    expect((await json(missing)).code).toBe('RESOURCE_NOT_FOUND');
  });

  it('applies each patch type as the cluster does', async () => {
    expect((await patch('cm-1', 'application/merge-patch+json', { data: { merge: 'yes' } })).status).toBe(200);
    expect((await patch('cm-1', 'application/json-patch+json', [{ op: 'add', path: '/data/json', value: 'yes' }])).status).toBe(200);
    expect((await patch('cm-1', 'application/strategic-merge-patch+json', { metadata: { labels: { strategic: 'yes' } } })).status).toBe(200);
    const live = await direct.core.readNamespacedConfigMap({ name: 'cm-1', namespace });
    expect(live.data).toEqual({ n: '1', merge: 'yes', json: 'yes' });
    expect(live.metadata?.labels).toMatchObject({ app: 'paged', strategic: 'yes' });
    // A JSON patch that is not a list of operations is refused before it reaches the cluster.
    expect((await patch('cm-1', 'application/json-patch+json', { data: {} })).status).toBe(400);
    // The cluster's refusal comes back mapped: a failed test operation is 422 VALIDATION_ERROR with its causes.
    const failed = await patch('cm-1', 'application/json-patch+json', [{ op: 'test', path: '/data/n', value: 'other' }]);
    expect([409, 422]).toContain(failed.status);
  });

  it('refuses a delete without X-Confirm-Destructive: true, then deletes with it', async () => {
    const refused = await hub.fetch(object('cm-2'), { method: 'DELETE', headers: admin });
    expect(refused.status).toBe(428);
    expect((await json(refused)).code).toBe('CONFIRMATION_REQUIRED');
    expect((await direct.core.readNamespacedConfigMap({ name: 'cm-2', namespace })).metadata?.name).toBe('cm-2');
    const deleted = await hub.fetch(`${object('cm-2')}?propagationPolicy=Background&gracePeriodSeconds=0`, {
      method: 'DELETE',
      headers: { ...admin, 'X-Confirm-Destructive': 'true' },
    });
    expect(deleted.status).toBe(200);
    expect((await json(deleted)).status).toBe('deleted');
    const names = (await direct.core.listNamespacedConfigMap({ namespace })).items.map((i) => i.metadata!.name);
    expect(names).not.toContain('cm-2');
  });
});
