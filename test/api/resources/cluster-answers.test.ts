/**
 * Answers a real cluster gives rarely, made by a loopback proxy in front of a test bed apiserver
 * (test/support/cluster-proxy.ts): a `Warning` header on the reads behind the questions, which
 * must reach the caller as kubectl shows them, and a 500 for one document of an apply, which must
 * fail that document alone and leave the answer saying exactly what was and was not applied.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directClient, statusOf, testClusters } from '#test/support/clusters.ts';
import { startClusterProxy, type ClusterProxy, type ProxiedRequest, type ProxyDecision } from '#test/support/cluster-proxy.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { json } from '#test/support/http.ts';
import { ADMIN_PASSWORD, bearer, jsonPost, login } from '#test/support/identity.ts';

let hub: TestHub;
let proxy: ClusterProxy;
let admin: Record<string, string>;
let clusterId: string;
const [alpha] = testClusters();
const direct = directClient(alpha!.adminKubeconfig);
const namespace = `cluster-answers-${randomBytes(3).toString('hex')}`;
const WARNING = 'discovery.k8s.io/v1 EndpointSlice is warned about by this test';
const POD_WARNING = 'v1 Pod list is warned about by this test';

/** What the proxy does with each request: the tests set it. */
let decide: (req: ProxiedRequest) => ProxyDecision = () => ({});

beforeAll(async () => {
  proxy = await startClusterProxy(alpha!.adminKubeconfig, (req) => decide(req));
  hub = await startTestHub();
  admin = bearer((await login(hub, 'admin', ADMIN_PASSWORD)).access_token);
  const res = await hub.fetch('/api/v1/clusters', jsonPost({ name: 'alpha-proxied', kubeconfig: proxy.kubeconfig }, admin));
  expect(res.status).toBe(201);
  clusterId = (await json(res)).id;
  await direct.core.createNamespace({ body: { metadata: { name: namespace } } });
  await direct.core.createNamespacedService({ namespace, body: { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } } });
  await direct.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'settings' }, data: { a: 'b' } } });
});
afterAll(async () => {
  await direct.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  await hub?.stop();
  await proxy?.close();
});

const warningsOf = (res: Response) => res.headers.get('warning') ?? '';

describe('questions pass on the cluster’s Warning headers', () => {
  it('as Warning: 299 headers of the answer, for the endpoints and the consumers', async () => {
    decide = (req) => {
      if (req.method === 'GET' && req.path.includes('/endpointslices')) return { warnings: [WARNING] };
      if (req.method === 'GET' && /\/namespaces\/[^/]+\/pods\?/.test(req.path)) return { warnings: [POD_WARNING] };
      return {};
    };
    const endpoints = await hub.fetch(`/api/v1/clusters/${clusterId}/resources/services/${namespace}/web/endpoints`, { headers: admin });
    expect(endpoints.status).toBe(200);
    expect(warningsOf(endpoints)).toContain(`299 - "${WARNING}"`);

    const consumers = await hub.fetch(`/api/v1/clusters/${clusterId}/resources/configmaps/${namespace}/settings/consumers`, { headers: admin });
    expect(consumers.status).toBe(200);
    expect(warningsOf(consumers)).toContain(`299 - "${POD_WARNING}"`);
    expect(warningsOf(consumers)).not.toContain(WARNING);
  });
});

describe('connections to the cluster', () => {
  it('are kept open and reused from one request to the next, not opened anew for each', async () => {
    decide = () => ({});
    const list = () => hub.fetch(`/api/v1/clusters/${clusterId}/resources/configmaps?namespace=${namespace}`, { headers: admin });
    expect((await list()).status).toBe(200);
    const before = proxy.connections();
    for (let i = 0; i < 4; i++) expect((await list()).status).toBe(200);
    expect(proxy.connections() - before).toBeLessThanOrEqual(1);
  });
});

describe('apply when the cluster fails on one document', () => {
  const manifest = ['first', 'second', 'third']
    .map((name) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\ndata:\n  k: v\n`)
    .join('---\n');

  it('answers CLUSTER_ERROR for it, NOT_APPLIED for those after it, and the ones before it as applied', async () => {
    decide = (req): ProxyDecision =>
      req.method === 'PATCH' && req.path.includes(`/namespaces/${namespace}/configmaps/second?`)
        ? { status: 500, body: '{"kind":"Status","status":"Failure","message":"etcdserver: request timed out","code":500}' }
        : {};
    const res = await hub.fetch(`/api/v1/clusters/${clusterId}/apply`, {
      method: 'POST',
      headers: { ...admin, 'Content-Type': 'application/yaml' },
      body: manifest,
    });
    expect(res.status).toBe(200);
    const answer = await json(res);
    expect(answer.items.map((i: { name: string; action: string | null; error?: { code: string } }) => [i.name, i.action, i.error?.code ?? null])).toEqual([
      ['first', 'created', null],
      ['second', null, 'CLUSTER_ERROR'],
      ['third', null, 'NOT_APPLIED'],
    ]);
    // The cluster agrees: only the first was applied, and the third was never sent.
    expect(await statusOf(direct.core.readNamespacedConfigMap({ namespace, name: 'first' }))).toBeUndefined();
    expect(await statusOf(direct.core.readNamespacedConfigMap({ namespace, name: 'second' }))).toBe(404);
    expect(await statusOf(direct.core.readNamespacedConfigMap({ namespace, name: 'third' }))).toBe(404);
    expect(proxy.requests.some((r) => r.path.includes('/configmaps/third'))).toBe(false);

    // The cluster recovered: the same manifest applies whole.
    decide = () => ({});
    const again = await json(
      await hub.fetch(`/api/v1/clusters/${clusterId}/apply`, { method: 'POST', headers: { ...admin, 'Content-Type': 'application/yaml' }, body: manifest }),
    );
    expect(again.items.map((i: { action: string }) => i.action)).toEqual(['unchanged', 'created', 'created']);
  });
});
