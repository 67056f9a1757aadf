/**
 * Labels are plain data (issue 9.4), probes of a cluster never fail each other (9.5), and a
 * cluster's own error text reaches viewers capped and scrubbed (10.13).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterRecord, testClusters } from '#test/support/clusters.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { json } from '#test/support/http.ts';
import { ADMIN_PASSWORD, bearer, createUser, jsonPost, login } from '#test/support/identity.ts';

let hub: TestHub;
let admin: Record<string, string>;
let viewer: Record<string, string>;
const [alpha] = testClusters();

/** A body sent as written: `{"__proto__": ...}` in an object literal would set a prototype, not a key. */
const rawJson = (method: string, text: string, headers: Record<string, string>): RequestInit => ({
  method,
  headers: { 'Content-Type': 'application/json', ...headers },
  body: text,
});

beforeAll(async () => {
  hub = await startTestHub();
  const adminToken = (await login(hub, 'admin', ADMIN_PASSWORD)).access_token;
  admin = bearer(adminToken);
  const { password } = await createUser(hub, adminToken, 'vera', 'viewer');
  viewer = bearer((await login(hub, 'vera', password)).access_token);
});
afterAll(async () => hub?.stop());

describe('labels are plain data (issue 9.4)', () => {
  it('keeps keys named after Object.prototype members as ordinary labels, through the table and back', async () => {
    const registered = await hub.fetch(
      '/api/v1/clusters',
      jsonPost({ name: 'protos', kubeconfig: alpha!.adminKubeconfig, labels: { constructor: 'x', toString: 'y' } }, admin),
    );
    expect(registered.status).toBe(201);
    const { id, labels } = await json(registered);
    expect(labels).toEqual({ constructor: 'x', toString: 'y' });
    expect((await json(await hub.fetch(`/api/v1/clusters/${id}`, { headers: viewer }))).labels).toEqual({ constructor: 'x', toString: 'y' });

    const patched = await hub.fetch(`/api/v1/clusters/${id}`, rawJson('PATCH', JSON.stringify({ labels: { constructor: 'z', hasOwnProperty: 'w' } }), admin));
    expect(patched.status).toBe(200);
    expect((await json(patched)).labels).toEqual({ constructor: 'z', hasOwnProperty: 'w' });

    // And as label filters.
    const names = async (query: string) =>
      (await json(await hub.fetch(`/api/v1/clusters?label=${encodeURIComponent(query)}`, { headers: viewer }))).items.map((c: { name: string }) => c.name);
    expect(await names('constructor=z')).toEqual(['protos']);
    expect(await names('constructor=z,hasOwnProperty=w')).toEqual(['protos']);
    expect(await names('toString=y')).toEqual([]);
  });

  it('refuses a __proto__ key with 400 naming it, instead of dropping it', async () => {
    const register = await hub.fetch(
      '/api/v1/clusters',
      rawJson('POST', `{"name":"proto-key","kubeconfig":${JSON.stringify(alpha!.adminKubeconfig)},"labels":{"__proto__":"x","env":"a"}}`, admin),
    );
    expect(register.status).toBe(400);
    expect((await json(register)).errors).toEqual([expect.objectContaining({ field: 'labels.__proto__', location: 'body' })]);
    expect((await json(await hub.fetch('/api/v1/clusters?search=proto-key', { headers: admin }))).items).toEqual([]);

    const { id } = await json(
      await hub.fetch('/api/v1/clusters', jsonPost({ name: 'proto-patch', kubeconfig: alpha!.adminKubeconfig, labels: { env: 'a' } }, admin)),
    );
    const patched = await hub.fetch(`/api/v1/clusters/${id}`, rawJson('PATCH', '{"labels":{"__proto__":{"polluted":"yes"}}}', admin));
    expect(patched.status).toBe(400);
    expect((await json(patched)).errors[0].field).toBe('labels.__proto__');
    expect((await json(await hub.fetch(`/api/v1/clusters/${id}`, { headers: admin }))).labels).toEqual({ env: 'a' });

    // As a filter it is an ordinary key no cluster has.
    const filtered = await hub.fetch(`/api/v1/clusters?label=${encodeURIComponent('__proto__=x')}`, { headers: viewer });
    expect(filtered.status).toBe(200);
    expect((await json(filtered)).items).toEqual([]);
  });
});

describe('probing a cluster (issue 9.5)', () => {
  it('answers 16 parallel status reads, and an admin edit made meanwhile is neither refused nor undone', async () => {
    const { id } = await json(await hub.fetch('/api/v1/clusters', jsonPost({ name: 'busy', kubeconfig: alpha!.adminKubeconfig }, admin)));
    const reads = Array.from({ length: 16 }, () => hub.fetch(`/api/v1/clusters/${id}/status`, { headers: viewer }));
    const edit = hub.fetch(`/api/v1/clusters/${id}`, rawJson('PATCH', JSON.stringify({ description: 'edited while probed' }), admin));
    const answers = await Promise.all(reads);
    expect(answers.map((r) => r.status)).toEqual(Array(16).fill(200));
    for (const res of answers) expect(await json(res)).toMatchObject({ name: 'busy', status: 'connected' });
    expect((await edit).status).toBe(200);
    const after = await json(await hub.fetch(`/api/v1/clusters/${id}`, { headers: viewer }));
    expect(after).toMatchObject({ description: 'edited while probed', status: 'connected' });
  });
});

/**
 * A stand-in for a hostile cluster on loopback: it answers registration like an API server, then
 * refuses everything with a Status whose message is stuffed with credential-like text. A real
 * kube-apiserver never puts such text in its own refusals, which is why a stand-in is used here.
 */
async function hostileCluster() {
  const dir = mkdtempSync(join(tmpdir(), 'clusterhub-hostile-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'pipe' },
    );
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const key = readFileSync(join(dir, 'key.pem'), 'utf8');
    const state = { hostile: false };
    // The start of the key generated above, left unterminated, as a cluster might echo it.
    const keyStart = key.split('\n').slice(0, 2).join('\n');
    const message =
      'denied: Authorization: Bearer s3cr3t-b34r3r-t0k3n-value-0123456789 jwt eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ ' +
      'from https://admin:hunter2@internal.example:8443/api key 8f14e45fceea167a5a36dedd4bea2543b3f2b1c9e8d7a6f5e4d3c2b1a0f9e8d7 ' +
      keyStart +
      'A'.repeat(2000);
    const server: Server = createServer({ cert, key }, (req, res) => {
      res.setHeader('Content-Type', 'application/json');
      if (state.hostile) {
        res.statusCode = 403;
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403, message }));
      } else if (req.url?.startsWith('/version')) {
        res.end(JSON.stringify({ major: '1', minor: '33', gitVersion: 'v1.33.0', platform: 'linux/amd64' }));
      } else {
        res.end(JSON.stringify({ kind: 'NodeList', apiVersion: 'v1', metadata: {}, items: [] }));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const kubeconfig = [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: hostile\n  cluster:\n    server: https://127.0.0.1:${port}\n    certificate-authority-data: ${Buffer.from(cert).toString('base64')}`,
      'users:',
      '- name: hostile\n  user:\n    token: hostile-cluster-token-value',
      'contexts:',
      '- name: hostile\n  context:\n    cluster: hostile\n    user: hostile',
      'current-context: hostile',
    ].join('\n');
    return { kubeconfig, state, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("a cluster's own error text (issue 10.13)", () => {
  const credentialLike = [/s3cr3t-b34r3r/, /eyJhbGciOi/, /hunter2/, /8f14e45fceea167a5a36dedd4bea2543/, /BEGIN PRIVATE KEY/, /MIGHAgEAMBMG/];

  it('reaches viewers capped and without anything credential-like, as last_error and in status and test answers', async () => {
    const cluster = await hostileCluster();
    try {
      const registered = await hub.fetch('/api/v1/clusters', jsonPost({ name: 'hostile', kubeconfig: cluster.kubeconfig }, admin));
      expect(registered.status).toBe(201);
      const { id } = await json(registered);
      cluster.state.hostile = true;

      const status = await json(await hub.fetch(`/api/v1/clusters/${id}/status`, { headers: viewer }));
      expect(status).toMatchObject({ status: 'disconnected', details: { reason: 'forbidden' } });
      const probe = await json(await hub.fetch(`/api/v1/clusters/${id}/test`, { method: 'POST', headers: viewer }));
      const shown = await json(await hub.fetch(`/api/v1/clusters/${id}`, { headers: viewer }));
      for (const [where, text] of [
        ['status', status.details.error],
        ['test', probe.error],
        ['last_error', shown.last_error],
      ] as const) {
        expect(text, where).toMatch(/HTTP 403/);
        expect(text.length, where).toBeLessThanOrEqual(500);
        for (const pattern of credentialLike) expect(text, `${where} ${pattern}`).not.toMatch(pattern);
      }
      // What is not credential-like is still there to act on.
      expect(shown.last_error).toMatch(/denied: Authorization/);
    } finally {
      await cluster.close();
    }
  });

  it('caps and scrubs a stored error text whatever wrote it', async () => {
    const long = `The cluster said: token=abcdef0123456789 ${'x'.repeat(5000)}`;
    const record = await hub.deps.clusters.clusters.create(clusterRecord('stored-error', { status: 'disconnected', lastError: long }));
    const shown = await json(await hub.fetch(`/api/v1/clusters/${record.id}`, { headers: viewer }));
    expect(shown.last_error.length).toBe(500);
    expect(shown.last_error).toMatch(/^The cluster said: token=\[redacted\]/);
  });
});
