import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directClient, testClusters, tokenOf } from '#test/support/clusters.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { json } from '#test/support/http.ts';
import { ADMIN_PASSWORD, bearer, jsonPost, login } from '#test/support/identity.ts';

let hub: TestHub;
let admin: Record<string, string>;
const [alpha] = testClusters();
const token = tokenOf(alpha!.adminKubeconfig);

beforeAll(async () => {
  hub = await startTestHub();
  admin = bearer((await login(hub, 'admin', ADMIN_PASSWORD)).access_token);
});
afterAll(async () => hub?.stop());

/** Replaces a cluster's stored credential behind the hub's back, as if the cluster or the credential changed since registration. */
async function storeCredential(id: string, kubeconfigText: string) {
  const record = (await hub.deps.clusters.clusters.get(id))!;
  const credentialRef = await hub.deps.secrets.put(`${hub.deps.config.secretPrefix}clusters/${id}/kubeconfig-test-${randomUUID()}`, kubeconfigText);
  await hub.deps.clusters.clusters.update(record, { credentialRef });
}

/** A TCP listener that counts the connections it is offered and drops each one: it shows whether anything tried a cluster. */
async function countingListener() {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A one-context kubeconfig with the given cluster and user entries. */
function kubeconfig(cluster: Record<string, unknown>, user: Record<string, unknown> = { token }) {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'ctx',
  });
}

const server = { server: alpha!.server };
const refusedKubeconfigs: [string, string, RegExp][] = [
  [
    'an exec credential plugin',
    kubeconfig(server, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: '/bin/sh', args: ['-c', 'id'] } }),
    /exec/,
  ],
  ['an auth-provider', kubeconfig(server, { 'auth-provider': { name: 'gcp', config: { 'cmd-path': '/bin/sh' } } }), /auth-provider/],
  ['a token file', kubeconfig(server, { tokenFile: '/etc/passwd' }), /tokenFile|token-file/],
  ['a client certificate file', kubeconfig(server, { 'client-certificate': '/etc/ssl/cert.pem', 'client-key': '/etc/ssl/key.pem' }), /client-certificate/],
  ['a CA file', kubeconfig({ ...server, 'certificate-authority': '/etc/ssl/ca.pem' }), /certificate-authority/],
  ['a proxy', kubeconfig({ ...server, 'proxy-url': 'http://proxy.example:3128' }), /proxy-url/],
  ['a plain-http server', kubeconfig({ server: alpha!.server.replace('https', 'http') }), /server/],
  ['insecure-skip-tls-verify', kubeconfig({ ...server, 'insecure-skip-tls-verify': true }), /insecure-skip-tls-verify/],
];

const metadataNotations = [
  'https://169.254.169.254',
  'https://[::ffff:169.254.169.254]',
  'https://2852039166',
  'https://0xa9fea9fe',
  'https://0251.0376.0251.0376',
  'https://169.254.43518',
  'https://[fe80::1]',
  'https://[fd00:ec2::254]',
  'https://100.100.100.200',
];

describe('kubeconfigs are hostile input', () => {
  it.each(refusedKubeconfigs)('refuses %s with 400 naming the field', async (_what, text, field) => {
    const res = await hub.fetch('/api/v1/clusters', jsonPost({ name: 'hostile', kubeconfig: text }, admin));
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.code).toBe('VALIDATION_ERROR');
    expect(JSON.stringify(body.errors ?? body.detail)).toMatch(field);
    expect(JSON.stringify(body)).not.toContain(token);
  });

  it.each(metadataNotations)('always refuses a metadata or link-local server %s', async (url) => {
    const res = await hub.fetch('/api/v1/clusters', jsonPost({ name: 'metadata', kubeconfig: kubeconfig({ server: url }) }, admin));
    expect(res.status).toBe(400);
    expect(JSON.stringify(await json(res))).toMatch(/server/);
  });

  it('refuses private addresses unless the operator allows them (the local run allows loopback only)', async () => {
    for (const url of ['https://10.0.0.1:6443', 'https://192.168.1.10', 'https://[fc00::1]']) {
      const res = await hub.fetch('/api/v1/clusters', jsonPost({ name: 'private', kubeconfig: kubeconfig({ server: url }) }, admin));
      expect(res.status, url).toBe(400);
    }
  });

  it('stored nothing for any refused kubeconfig', async () => {
    expect((await json(await hub.fetch('/api/v1/clusters', { headers: admin }))).items).toEqual([]);
  });

  it('refuses a deployment that would also refuse loopback, and allows it when the operator lists it', async () => {
    const strict = await startTestHub({ HUB_ALLOWED_CLUSTER_NETWORKS: '10.0.0.0/8' });
    try {
      const auth = bearer((await login(strict, 'admin', ADMIN_PASSWORD)).access_token);
      const res = await strict.fetch('/api/v1/clusters', jsonPost({ name: 'loop', kubeconfig: alpha!.adminKubeconfig }, auth));
      expect(res.status).toBe(400);
      expect(JSON.stringify(await json(res))).toMatch(/loopback|HUB_ALLOWED_CLUSTER_NETWORKS/);
    } finally {
      await strict.stop();
    }
  });
});

describe('a cluster that cannot be reached', () => {
  it('is not registered: 422 CLUSTER_UNREACHABLE with the reason, nothing stored', async () => {
    const res = await hub.fetch(
      '/api/v1/clusters',
      jsonPost({ name: 'gone', kubeconfig: alpha!.adminKubeconfig.replace(alpha!.server, 'https://127.0.0.1:1') }, admin),
    );
    expect(res.status).toBe(422);
    expect(await json(res)).toMatchObject({ code: 'CLUSTER_UNREACHABLE', reason: 'refused' });
    const wrongToken = await hub.fetch(
      '/api/v1/clusters',
      jsonPost({ name: 'gone', kubeconfig: alpha!.adminKubeconfig.replace(token, 'not-a-valid-token') }, admin),
    );
    expect(wrongToken.status).toBe(422);
    expect((await json(wrongToken)).reason).toBe('unauthorized');
    expect((await json(await hub.fetch('/api/v1/clusters', { headers: admin }))).items).toEqual([]);
  });

  it('answers live views with 503 CLUSTER_UNAVAILABLE, then opens the circuit for every instance', async () => {
    const registered = await json(await hub.fetch('/api/v1/clusters', jsonPost({ name: 'flaky', kubeconfig: alpha!.adminKubeconfig }, admin)));
    // The cluster goes away: its stored credential now points at a closed port.
    await storeCredential(registered.id, alpha!.adminKubeconfig.replace(alpha!.server, 'https://127.0.0.1:1'));
    const reasons: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await hub.fetch(`/api/v1/clusters/${registered.id}/summary`, { headers: admin });
      expect(res.status).toBe(503);
      const body = await json(res);
      expect(body.code).toBe('CLUSTER_UNAVAILABLE');
      reasons.push(body.reason);
    }
    expect(reasons).toEqual(['refused', 'refused', 'refused']);
    const open = await json(await hub.fetch(`/api/v1/clusters/${registered.id}/namespaces`, { headers: admin }));
    expect(open).toMatchObject({ code: 'CLUSTER_UNAVAILABLE', reason: 'circuit_open' });

    // The breaker lives in the table: another instance of the hub (same table and secret store, its
    // own process) answers 503 at once, without trying the cluster. Had it tried, the listener the
    // credential now points at would have seen a connection.
    const listener = await countingListener();
    await storeCredential(registered.id, alpha!.adminKubeconfig.replace(alpha!.server, listener.url));
    const second = await startTestHub({}, { instanceOf: hub });
    try {
      const auth = bearer((await login(second, 'admin', ADMIN_PASSWORD)).access_token);
      for (const view of ['summary', 'workloads', 'overview']) {
        const res = await second.fetch(`/api/v1/clusters/${registered.id}/${view}`, { headers: auth });
        expect(res.status, view).toBe(503);
        expect(await json(res), view).toMatchObject({ code: 'CLUSTER_UNAVAILABLE', reason: 'circuit_open', retry_after_seconds: expect.any(Number) });
      }
      const status = await json(await second.fetch(`/api/v1/clusters/${registered.id}/status`, { headers: auth }));
      expect(status).toMatchObject({ name: 'flaky', status: 'disconnected', details: { reason: 'circuit_open' } });
      expect(listener.connections()).toBe(0);
      expect((await json(await hub.fetch(`/api/v1/clusters/${registered.id}`, { headers: admin }))).status).toBe('disconnected');

      // The explicit probe bypasses the circuit: it does try the cluster, and the listener sees it.
      const probe = await json(await second.fetch(`/api/v1/clusters/${registered.id}/test`, { method: 'POST', headers: auth }));
      expect(probe).toMatchObject({ ok: false });
      expect(probe.error).toBeTruthy();
      expect(listener.connections()).toBeGreaterThan(0);
    } finally {
      await second.stop();
      await listener.close();
    }
  });
});

describe("a cluster that refuses the hub's credential", () => {
  /** GETs a live view `times` times in a row; a 503 circuit_open would mean the hub stopped trying. */
  async function repeatedly(id: string, view: string, times = 5) {
    const answers: { status: number; code: string; reason: string }[] = [];
    for (let i = 0; i < times; i++) {
      const res = await hub.fetch(`/api/v1/clusters/${id}/${view}`, { headers: admin });
      const body = await json(res);
      answers.push({ status: res.status, code: body.code, reason: body.reason });
    }
    return answers;
  }

  it('answers 422 CLUSTER_CREDENTIAL_REJECTED for a revoked credential, every time, without opening the circuit', async () => {
    const registered = await json(await hub.fetch('/api/v1/clusters', jsonPost({ name: 'revoked', kubeconfig: alpha!.adminKubeconfig }, admin)));
    // The cluster is up, but no longer accepts the stored token (HTTP 401).
    await storeCredential(registered.id, alpha!.adminKubeconfig.replace(token, `revoked-${randomBytes(8).toString('hex')}`));

    // More refusals than the breaker's threshold, each one a real call the cluster answered.
    const rejected = { status: 422, code: 'CLUSTER_CREDENTIAL_REJECTED', reason: 'unauthorized' };
    expect(await repeatedly(registered.id, 'summary')).toEqual(Array(5).fill(rejected));
    expect(await repeatedly(registered.id, 'namespaces', 1)).toEqual([rejected]);
    expect(await hub.deps.clusters.breaker.state(registered.id)).toEqual({ failures: 0 });

    const status = await json(await hub.fetch(`/api/v1/clusters/${registered.id}/status`, { headers: admin }));
    expect(status).toMatchObject({ status: 'disconnected', details: { reason: 'unauthorized' } });
    const probe = await json(await hub.fetch(`/api/v1/clusters/${registered.id}/test`, { method: 'POST', headers: admin }));
    expect(probe).toMatchObject({ ok: false });
    expect(await repeatedly(registered.id, 'workloads', 1)).toEqual([rejected]);
    expect(await hub.deps.clusters.breaker.state(registered.id)).toEqual({ failures: 0 });
  });

  it.skipIf(!alpha!.restrictedKubeconfig)('serves what a restricted credential may read, null for the rest, and never opens the circuit', async () => {
    // The test bed's restricted user holds `view` in the namespace team-a only: nothing cluster-wide.
    const restricted = readFileSync(alpha!.restrictedKubeconfig!, 'utf8');
    const res = await hub.fetch('/api/v1/clusters', jsonPost({ name: 'restricted', kubeconfig: restricted }, admin));
    expect(res.status).toBe(201);
    const { id } = await json(res);

    const unknownCounts = { node_count: null, namespace_count: null, pod_count: null, deployment_count: null, service_count: null };
    const summary = await hub.fetch(`/api/v1/clusters/${id}/summary`, { headers: admin });
    expect(summary.status).toBe(200);
    expect(await json(summary)).toEqual(unknownCounts);
    const workloads = await hub.fetch(`/api/v1/clusters/${id}/workloads`, { headers: admin });
    expect(workloads.status).toBe(200);
    expect(await json(workloads)).toEqual({ deployments: null, statefulsets: null, daemonsets: null, jobs: null, cronjobs: null, truncated: false });
    const overview = await hub.fetch(`/api/v1/clusters/${id}/overview`, { headers: admin });
    expect(overview.status).toBe(200);
    expect(await json(overview)).toMatchObject({ cluster: { id, name: 'restricted' }, summary: unknownCounts, recent_events: null });

    // Namespaces are one kind: nothing to show, so 422 CLUSTER_FORBIDDEN, each time from the cluster itself.
    const forbidden = { status: 422, code: 'CLUSTER_FORBIDDEN', reason: 'forbidden' };
    expect(await repeatedly(id, 'namespaces')).toEqual(Array(5).fill(forbidden));
    expect(await hub.deps.clusters.breaker.state(id)).toEqual({ failures: 0 });
    expect((await hub.fetch(`/api/v1/clusters/${id}/summary`, { headers: admin })).status).toBe(200);
    expect(await json(await hub.fetch(`/api/v1/clusters/${id}/status`, { headers: admin }))).toMatchObject({
      status: 'connected',
      details: { nodes: expect.any(Number) },
    });
  });

  it('answers with the counts a `view` ClusterRole may read and null for nodes, which it may not list', async () => {
    // A service account bound to the standard view ClusterRole, as a hub onboarded with role view holds.
    const direct = directClient(alpha!.adminKubeconfig);
    const namespace = `refusals-view-${randomBytes(3).toString('hex')}`;
    const binding = `clusterhub-test:${namespace}`;
    await direct.core.createNamespace({ body: { metadata: { name: namespace } } });
    try {
      await direct.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'viewer' } } });
      await direct.rbac.createClusterRoleBinding({
        body: {
          metadata: { name: binding },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
          subjects: [{ kind: 'ServiceAccount', name: 'viewer', namespace }],
        },
      });
      const issued = await direct.core.createNamespacedServiceAccountToken({
        name: 'viewer',
        namespace,
        body: { spec: { audiences: [], expirationSeconds: 3600 } },
      });
      const doc = parse(alpha!.adminKubeconfig);
      doc.users[0].user = { token: issued.status!.token };
      const res = await hub.fetch('/api/v1/clusters', jsonPost({ name: 'view-only', kubeconfig: stringify(doc) }, admin));
      expect(res.status).toBe(201);
      const { id } = await json(res);

      const summary = await hub.fetch(`/api/v1/clusters/${id}/summary`, { headers: admin });
      expect(summary.status).toBe(200);
      const counts = await json(summary);
      expect(counts).toEqual({
        node_count: null,
        namespace_count: expect.any(Number),
        pod_count: expect.any(Number),
        deployment_count: expect.any(Number),
        service_count: expect.any(Number),
      });
      expect(counts.namespace_count).toBeGreaterThanOrEqual(1);
      const overview = await json(await hub.fetch(`/api/v1/clusters/${id}/overview`, { headers: admin }));
      expect(overview.summary.node_count).toBeNull();
      expect(Array.isArray(overview.recent_events)).toBe(true);
      const workloads = await json(await hub.fetch(`/api/v1/clusters/${id}/workloads`, { headers: admin }));
      expect(Array.isArray(workloads.deployments) && Array.isArray(workloads.cronjobs)).toBe(true);
      expect((await hub.fetch(`/api/v1/clusters/${id}/namespaces`, { headers: admin })).status).toBe(200);
    } finally {
      await direct.rbac.deleteClusterRoleBinding({ name: binding }).catch(() => undefined);
      await direct.core.deleteNamespace({ name: namespace }).catch(() => undefined);
    }
  });
});
