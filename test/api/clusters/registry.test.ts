import * as k8s from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directClient, testClusters } from '#test/support/clusters.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { ADMIN_PASSWORD, bearer, createUser, jsonPost, login } from '#test/support/identity.ts';
import { deleteCluster } from '#shared/domain/clusters/registry.ts';
import { SecretNotFoundError } from '#shared/ports/secret-store.ts';

let hub: TestHub;
let admin: Record<string, string>;
const [alpha, beta] = testClusters();

async function call(path: string, init: RequestInit = {}, headers = admin) {
  const res = await hub.fetch(path, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) } });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text; // the kubeconfig attachment is YAML
  }
  return { status: res.status, body, text, headers: res.headers };
}
const register = (body: Record<string, unknown>, headers = admin) => call('/api/v1/clusters', jsonPost(body), headers);

/** What alpha itself reports, so the expectations hold for an external cluster (CLUSTERHUB_TEST_KUBECONFIG) too. */
let reported: { version: string; nodes: number };
/** Our own clusters are plain kube-apiservers; an external one is whatever it is. */
const expectedProvider = process.env.CLUSTERHUB_TEST_KUBECONFIG ? expect.any(String) : 'generic';

beforeAll(async () => {
  hub = await startTestHub();
  admin = bearer((await login(hub, 'admin', ADMIN_PASSWORD)).access_token);
  const direct = directClient(alpha!.adminKubeconfig);
  const [version, nodes] = await Promise.all([direct.kc.makeApiClient(k8s.VersionApi).getCode(), direct.core.listNode()]);
  reported = { version: version.gitVersion, nodes: nodes.items.length };
});
afterAll(async () => hub?.stop());

describe('registering the test bed clusters', () => {
  let alphaId: string;

  it('registers from YAML and from base64, connecting first', async () => {
    const a = await register({ name: 'alpha', kubeconfig: alpha!.adminKubeconfig, description: 'first', labels: { env: 'test', team: 'a' } });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({
      name: 'alpha',
      context: 'alpha',
      server_url: alpha!.server,
      version: reported.version,
      status: 'connected',
      provider: expectedProvider,
      node_count: reported.nodes,
      labels: { env: 'test', team: 'a' },
      auth: { kind: 'token', service_account: null },
    });
    expect(a.body.created_at).toBeTruthy();
    expect(a.body.last_connected).toBeTruthy();
    alphaId = a.body.id;

    const b = await register({ name: 'beta', kubeconfig_base64: Buffer.from(beta!.adminKubeconfig).toString('base64'), labels: { env: 'prod' } });
    expect(b.status).toBe(201);
    expect(b.body.server_url).toBe(beta!.server);
  });

  it('reports summary counts that match what the cluster itself reports', async () => {
    const direct = directClient(alpha!.adminKubeconfig);
    const ns = `summary-${randomUUID().slice(0, 8)}`;
    await direct.core.createNamespace({ body: { metadata: { name: ns } } });
    await direct.apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
        },
      },
    });
    await direct.core.createNamespacedService({
      namespace: ns,
      body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
    });
    // Wait until the controller has made the pods, so both sides count the same world.
    for (let i = 0; i < 100 && (await direct.core.listNamespacedPod({ namespace: ns })).items.length < 2; i++) await new Promise((r) => setTimeout(r, 100));

    const summary = await call(`/api/v1/clusters/${alphaId}/summary`);
    expect(summary.status).toBe(200);
    const [nodes, namespaces, pods, deployments, services] = await Promise.all([
      direct.core.listNode(),
      direct.core.listNamespace(),
      direct.core.listPodForAllNamespaces(),
      direct.apps.listDeploymentForAllNamespaces(),
      direct.core.listServiceForAllNamespaces(),
    ]);
    expect(summary.body).toEqual({
      node_count: nodes.items.length,
      namespace_count: namespaces.items.length,
      pod_count: pods.items.length,
      deployment_count: deployments.items.length,
      service_count: services.items.length,
    });
    expect(summary.body.deployment_count).toBeGreaterThanOrEqual(1);

    const workloads = await call(`/api/v1/clusters/${alphaId}/workloads`);
    expect(workloads.body.deployments).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'web', namespace: ns, desired: 2 })]));
    const names = (await call(`/api/v1/clusters/${alphaId}/namespaces`)).body.items.map((n: { name: string }) => n.name);
    expect(names).toContain(ns);
    const overview = await call(`/api/v1/clusters/${alphaId}/overview`);
    expect(overview.body.cluster.id).toBe(alphaId);
    expect(overview.body.summary.node_count).toBe(reported.nodes);
    expect(Array.isArray(overview.body.recent_events)).toBe(true);
    await direct.core.deleteNamespace({ name: ns });
  });

  it('tests, reads status and toggles activity', async () => {
    const test = await call(`/api/v1/clusters/${alphaId}/test`, { method: 'POST' });
    expect(test.body).toMatchObject({ ok: true, version: reported.version, node_count: reported.nodes });
    expect(test.body.latency_ms).toBeGreaterThanOrEqual(0);
    const status = await call(`/api/v1/clusters/${alphaId}/status`);
    expect(status.body).toMatchObject({ name: 'alpha', status: 'connected', details: { version: reported.version, nodes: reported.nodes } });
    expect(status.body.details.last_check).toBeTruthy();
    const inactive = await call(`/api/v1/clusters/${alphaId}/set-active`, jsonPost({ active: false }));
    expect(inactive.body.active).toBe(false);
    expect((await call(`/api/v1/clusters/${alphaId}/set-active`, jsonPost({ active: true }))).body.active).toBe(true);
  });

  it('refuses both or none of the credential sources, and a taken name unless forced', async () => {
    const both = await register({ name: 'gamma', kubeconfig: alpha!.adminKubeconfig, kubeconfig_base64: 'eA==' });
    expect(both.status).toBe(400);
    expect(both.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['kubeconfig', 'kubeconfig_base64']);
    expect((await register({ name: 'gamma' })).status).toBe(400);

    const taken = await register({ name: 'alpha', kubeconfig: alpha!.adminKubeconfig });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('CLUSTER_EXISTS');
    const forced = await register({ name: 'alpha', kubeconfig: alpha!.adminKubeconfig, force: true, description: 'replaced' });
    expect(forced.status).toBe(201);
    expect(forced.body).toMatchObject({ id: alphaId, description: 'replaced' });
  });

  it('imports a kubeconfig from the secret store, only under the import prefix', async () => {
    const prefix = hub.deps.config.secretPrefix;
    await hub.deps.secrets.put(`${prefix}imports/beta-copy`, beta!.adminKubeconfig);
    const imported = await register({ name: 'beta-copy', kubeconfig_secret_ref: `${prefix}imports/beta-copy` });
    expect(imported.status).toBe(201);
    expect(imported.body.server_url).toBe(beta!.server);
    const outside = await register({ name: 'stolen', kubeconfig_secret_ref: `${prefix}identity/keyring` });
    expect(outside.status).toBe(400);
    expect(outside.body.errors[0].field).toBe('kubeconfig_secret_ref');
    const missing = await register({ name: 'missing', kubeconfig_secret_ref: `${prefix}imports/none` });
    expect(missing.status).toBe(400);
    expect((await call(`/api/v1/clusters/${imported.body.id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('lists with filters and pages', async () => {
    const all = await call('/api/v1/clusters');
    expect(all.body.items.map((c: { name: string }) => c.name)).toEqual(['alpha', 'beta']);
    expect((await call('/api/v1/clusters?label=env=prod')).body.items.map((c: { name: string }) => c.name)).toEqual(['beta']);
    expect((await call('/api/v1/clusters?label=env=test,team=a')).body.items.map((c: { name: string }) => c.name)).toEqual(['alpha']);
    expect((await call('/api/v1/clusters?search=ALP')).body.items.map((c: { name: string }) => c.name)).toEqual(['alpha']);
    expect((await call('/api/v1/clusters?status=disconnected')).body.items).toEqual([]);
    expect((await call('/api/v1/clusters?provider=generic')).body.items).toHaveLength(2);
    const first = await call('/api/v1/clusters?limit=1');
    expect(first.body.items).toHaveLength(1);
    const second = await call(`/api/v1/clusters?limit=1&continue=${encodeURIComponent(first.body.metadata.continue)}`);
    expect(second.body.items[0].name).toBe('beta');
  });

  it('renames and relabels; a new credential passes the same checks', async () => {
    const renamed = await call(`/api/v1/clusters/${alphaId}`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'alpha-1', labels: { env: 'stage' } }),
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'alpha-1', labels: { env: 'stage' } });
    const bad = await call(`/api/v1/clusters/${alphaId}`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ kubeconfig: alpha!.adminKubeconfig.replace('https://', 'http://') }),
    });
    expect(bad.status).toBe(400);
    await call(`/api/v1/clusters/${alphaId}`, { method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'alpha' }) });
  });

  it('replaces the credential under a new secret and deletes the old one', async () => {
    const patch = (body: Record<string, unknown>) =>
      call(`/api/v1/clusters/${alphaId}`, { method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const before = (await hub.deps.clusters.clusters.get(alphaId))!;
    const replaced = await patch({ kubeconfig: alpha!.adminKubeconfig, context: 'alpha' });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ id: alphaId, context: 'alpha', status: 'connected' });
    const after = (await hub.deps.clusters.clusters.get(alphaId))!;
    expect(after.credentialRef).not.toBe(before.credentialRef);
    await expect(hub.deps.secrets.get(before.credentialRef)).rejects.toThrow(SecretNotFoundError);
    expect(await hub.deps.secrets.get(after.credentialRef)).toContain(alpha!.server);

    // context picks a context of a new kubeconfig: alone there is nothing to pick from, and it is said so.
    const contextOnly = await patch({ context: 'alpha' });
    expect(contextOnly.status).toBe(400);
    expect(contextOnly.body.errors).toEqual([expect.objectContaining({ field: 'context', message: expect.stringContaining('with kubeconfig') })]);
    expect((await hub.deps.clusters.clusters.get(alphaId))!.version).toBe(after.version);
  });

  it('hands the kubeconfig out to admins only, as an audited attachment', async () => {
    const out = await call(`/api/v1/clusters/${alphaId}/kubeconfig`);
    expect(out.status).toBe(200);
    expect(out.headers.get('content-disposition')).toContain('attachment');
    expect(out.text).toContain(alpha!.server);
    expect(out.text).not.toMatch(/exec:|auth-provider|token-file/);
    // This one response is the sanctioned way out: the hub's leak sweep leaves its body alone.
    const { password } = await createUser(hub, admin.Authorization!.slice(7), 'op-user', 'operator');
    const op = bearer((await login(hub, 'op-user', password)).access_token);
    expect((await call(`/api/v1/clusters/${alphaId}/kubeconfig`, {}, op)).status).toBe(403);
    const audit = await call('/api/v1/audit-log?action=cluster.kubeconfig.export');
    // Newest first: the operator's refused attempt, then the admin's export.
    expect(audit.body.items.slice(0, 2)).toEqual([
      expect.objectContaining({ status_code: 403 }),
      expect.objectContaining({ cluster_id: alphaId, status_code: 200 }),
    ]);
  });

  it('deletes the secret before the record, so a DELETE that failed part-way can be retried', async () => {
    const gamma = await register({ name: 'gamma', kubeconfig: beta!.adminKubeconfig });
    const record = (await hub.deps.clusters.clusters.get(gamma.body.id))!;
    const store = hub.deps.clusters.secrets;
    const failing = {
      ...hub.deps.clusters,
      secrets: { ...store, get: store.get.bind(store), put: store.put.bind(store), delete: () => Promise.reject(new Error('secret store down')) },
    };
    await expect(deleteCluster(failing, record)).rejects.toThrow('secret store down');
    // Nothing was lost: the cluster and its credential are still there.
    expect(await hub.deps.clusters.clusters.get(record.id)).toEqual(record);
    expect(await store.get(record.credentialRef)).toContain(beta!.server);

    // The retry, once the store is back, deletes both.
    expect((await call(`/api/v1/clusters/${record.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await hub.deps.clusters.clusters.get(record.id)).toBeUndefined();
    await expect(store.get(record.credentialRef)).rejects.toThrow(SecretNotFoundError);
    expect((await call(`/api/v1/clusters/${record.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('never leaks a cluster token in a response, a log line or an audit entry', async () => {
    // The audit entries through the API, then the hub's own sweep (every response, log line and table item).
    expect((await call('/api/v1/audit-log?limit=500')).status).toBe(200);
    await hub.assertNoLeaks();
  });

  it('documents every cluster endpoint with its security scheme in the OpenAPI document', async () => {
    const doc = (await call('/api/v1/openapi.json')).body;
    const expected = [
      ['/api/v1/clusters', 'get'],
      ['/api/v1/clusters', 'post'],
      ['/api/v1/clusters/discover', 'get'],
      ['/api/v1/clusters/{clusterId}', 'get'],
      ['/api/v1/clusters/{clusterId}', 'patch'],
      ['/api/v1/clusters/{clusterId}', 'delete'],
      ['/api/v1/clusters/{clusterId}/kubeconfig', 'get'],
      ['/api/v1/clusters/{clusterId}/service-account', 'post'],
      ['/api/v1/clusters/{clusterId}/test', 'post'],
      ['/api/v1/clusters/{clusterId}/status', 'get'],
      ['/api/v1/clusters/{clusterId}/set-active', 'post'],
      ['/api/v1/clusters/{clusterId}/namespaces', 'get'],
      ['/api/v1/clusters/{clusterId}/summary', 'get'],
      ['/api/v1/clusters/{clusterId}/workloads', 'get'],
      ['/api/v1/clusters/{clusterId}/overview', 'get'],
    ];
    for (const [path, method] of expected) {
      expect(doc.paths[path!]?.[method!]?.security, `${method} ${path}`).toEqual([{ bearerAuth: [] }, { apiKey: [] }]);
    }
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Cluster', 'ClusterSummary', 'ClusterWorkloads', 'ClusterOverview']));
  });
});
