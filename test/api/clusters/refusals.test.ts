import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testClusters, tokenOf } from '#test/support/clusters.ts';
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
  ['an exec credential plugin', kubeconfig(server, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: '/bin/sh', args: ['-c', 'id'] } }), /exec/],
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
    const res = await hub.fetch('/api/v1/clusters', jsonPost({ name: 'gone', kubeconfig: alpha!.adminKubeconfig.replace(alpha!.server, 'https://127.0.0.1:1') }, admin));
    expect(res.status).toBe(422);
    expect(await json(res)).toMatchObject({ code: 'CLUSTER_UNREACHABLE', reason: 'refused' });
    const wrongToken = await hub.fetch('/api/v1/clusters', jsonPost({ name: 'gone', kubeconfig: alpha!.adminKubeconfig.replace(token, 'not-a-valid-token') }, admin));
    expect(wrongToken.status).toBe(422);
    expect((await json(wrongToken)).reason).toBe('unauthorized');
    expect((await json(await hub.fetch('/api/v1/clusters', { headers: admin }))).items).toEqual([]);
  });

  it('answers live views with 503 CLUSTER_UNAVAILABLE, then opens the circuit for every instance', async () => {
    const registered = await json(await hub.fetch('/api/v1/clusters', jsonPost({ name: 'flaky', kubeconfig: alpha!.adminKubeconfig }, admin)));
    // The cluster goes away: its stored credential now points at a closed port.
    await hub.deps.secrets.put(`${hub.deps.config.secretPrefix}clusters/${registered.id}/kubeconfig`, alpha!.adminKubeconfig.replace(alpha!.server, 'https://127.0.0.1:1'));
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
    // The breaker lives in the table: a second hub on the same table sees it open too.
    expect(await hub.deps.clusters.breaker.state(registered.id)).toMatchObject({ openUntil: expect.any(Number) });

    const status = await json(await hub.fetch(`/api/v1/clusters/${registered.id}/status`, { headers: admin }));
    expect(status).toMatchObject({ name: 'flaky', status: 'disconnected' });
    expect((await json(await hub.fetch(`/api/v1/clusters/${registered.id}`, { headers: admin }))).status).toBe('disconnected');
    const probe = await json(await hub.fetch(`/api/v1/clusters/${registered.id}/test`, { method: 'POST', headers: admin }));
    expect(probe).toMatchObject({ ok: false });
    expect(probe.error).toBeTruthy();
  });
});
