/**
 * Labels are plain data (issue 9.4), and probes of a cluster never fail each other (9.5).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testClusters } from '#test/support/clusters.ts';
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
    const registered = await hub.fetch('/api/v1/clusters', jsonPost({ name: 'protos', kubeconfig: alpha!.adminKubeconfig, labels: { constructor: 'x', toString: 'y' } }, admin));
    expect(registered.status).toBe(201);
    const { id, labels } = await json(registered);
    expect(labels).toEqual({ constructor: 'x', toString: 'y' });
    expect((await json(await hub.fetch(`/api/v1/clusters/${id}`, { headers: viewer }))).labels).toEqual({ constructor: 'x', toString: 'y' });

    const patched = await hub.fetch(`/api/v1/clusters/${id}`, rawJson('PATCH', JSON.stringify({ labels: { constructor: 'z', hasOwnProperty: 'w' } }), admin));
    expect(patched.status).toBe(200);
    expect((await json(patched)).labels).toEqual({ constructor: 'z', hasOwnProperty: 'w' });

    // And as label filters.
    const names = async (query: string) => (await json(await hub.fetch(`/api/v1/clusters?label=${encodeURIComponent(query)}`, { headers: viewer }))).items.map((c: { name: string }) => c.name);
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

    const { id } = await json(await hub.fetch('/api/v1/clusters', jsonPost({ name: 'proto-patch', kubeconfig: alpha!.adminKubeconfig, labels: { env: 'a' } }, admin)));
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
