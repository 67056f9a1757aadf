import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterRecord } from '#test/support/clusters.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { json } from '#test/support/http.ts';
import { ADMIN_PASSWORD, bearer, createUser, jsonPost, login } from '#test/support/identity.ts';

let hub: TestHub;
let admin: Record<string, string>;
beforeAll(async () => {
  hub = await startTestHub();
  admin = bearer((await login(hub, 'admin', ADMIN_PASSWORD)).access_token);
});
afterAll(async () => hub?.stop());

const patch = (path: string, body: unknown, headers: Record<string, string>) =>
  hub.fetch(path, { method: 'PATCH', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('user administration', () => {
  it('creates, reads, changes and deletes users; usernames are unique regardless of case', async () => {
    const res = await hub.fetch('/api/v1/users', jsonPost({ username: 'judy', password: 'long-passphrase-for-j', role: 'viewer' }, admin));
    expect(res.status).toBe(201);
    const judy = await json(res);
    expect(judy).toMatchObject({ username: 'judy', role: 'viewer', totp_enabled: false, locked_until: null });
    expect(JSON.stringify(judy)).not.toMatch(/argon2|password/);

    const dup = await hub.fetch('/api/v1/users', jsonPost({ username: 'JUDY', password: 'another-long-passphrase', role: 'viewer' }, admin));
    expect(dup.status).toBe(409);

    expect(await json(await hub.fetch(`/api/v1/users/${judy.id}`, { headers: admin }))).toMatchObject({ id: judy.id, username: 'judy' });
    const promoted = await patch(`/api/v1/users/${judy.id}`, { role: 'operator', username: 'judith' }, admin);
    expect(promoted.status).toBe(200);
    expect(await json(promoted)).toMatchObject({ role: 'operator', username: 'judith' });
    // The old name is free again, the new one taken.
    await createUser(hub, admin.Authorization!.slice(7), 'judy', 'viewer');
    expect((await patch(`/api/v1/users/${judy.id}`, { username: 'JUDY' }, admin)).status).toBe(409);

    expect((await hub.fetch(`/api/v1/users/${judy.id}`, { method: 'DELETE', headers: admin })).status).toBe(204);
    expect((await hub.fetch(`/api/v1/users/${judy.id}`, { headers: admin })).status).toBe(404);
    await expect(login(hub, 'judith', 'long-passphrase-for-j')).rejects.toThrow(/401/);
  });

  it('validates input and names each failing field', async () => {
    const res = await hub.fetch('/api/v1/users', jsonPost({ username: 'x', password: 'short', role: 'root' }, admin));
    expect(res.status).toBe(400);
    const fields = (await json(res)).errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['username', 'role']));
    const weak = await hub.fetch('/api/v1/users', jsonPost({ username: 'kate', password: 'short', role: 'viewer' }, admin));
    expect(weak.status).toBe(400);
    expect((await json(weak)).errors[0].field).toBe('password');
  });

  it('pages the user list with limit and continue', async () => {
    for (const name of ['page-a', 'page-b', 'page-c']) await createUser(hub, admin.Authorization!.slice(7), name, 'viewer');
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await json(await hub.fetch(`/api/v1/users?limit=2${cursor ? `&continue=${encodeURIComponent(cursor)}` : ''}`, { headers: admin }));
      expect(page.items.length).toBeLessThanOrEqual(2);
      names.push(...page.items.map((u: { username: string }) => u.username));
      cursor = page.metadata.continue;
    } while (cursor);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['admin', 'page-a', 'page-b', 'page-c']));
  });

  it('refuses an admin deleting or demoting themself', async () => {
    const me = await json(await hub.fetch('/api/v1/auth/me', { headers: admin }));
    expect((await hub.fetch(`/api/v1/users/${me.id}`, { method: 'DELETE', headers: admin })).status).toBe(409);
    expect((await patch(`/api/v1/users/${me.id}`, { role: 'viewer' }, admin)).status).toBe(409);
  });

  it("a new password or a lower role ends the user's sessions at once", async () => {
    const { id, password } = await createUser(hub, admin.Authorization!.slice(7), 'leo', 'operator');
    const leo = bearer((await login(hub, 'leo', password)).access_token);
    expect((await patch(`/api/v1/users/${id}`, { role: 'viewer' }, admin)).status).toBe(200);
    expect((await hub.fetch('/api/v1/auth/me', { headers: leo })).status).toBe(401);
    expect((await json(await hub.fetch('/api/v1/auth/me', { headers: bearer((await login(hub, 'leo', password)).access_token) }))).role).toBe('viewer');
  });
});

describe('roles', () => {
  it('keep viewers and operators out of user administration', async () => {
    for (const role of ['viewer', 'operator']) {
      const { password } = await createUser(hub, admin.Authorization!.slice(7), `role-${role}`, role);
      const auth = bearer((await login(hub, `role-${role}`, password)).access_token);
      const list = await hub.fetch('/api/v1/users', { headers: auth });
      expect(list.status).toBe(403);
      expect((await json(list)).code).toBe('FORBIDDEN');
      expect((await hub.fetch('/api/v1/users', jsonPost({ username: 'sneaky', password: 'sneaky-long-passphrase', role: 'admin' }, auth))).status).toBe(403);
      expect((await hub.fetch('/api/v1/audit-log', { headers: auth })).status).toBe(403);
    }
  });
});

describe('per-cluster permissions', () => {
  it('refuses a grant on a cluster that does not exist, and a malformed one', async () => {
    const { id } = await createUser(hub, admin.Authorization!.slice(7), 'mike', 'viewer');
    const missing = await hub.fetch(`/api/v1/users/${id}/cluster-permissions`, jsonPost({ cluster_id: 'no-such-cluster', role: 'operator' }, admin));
    expect(missing.status).toBe(404);
    const bad = await hub.fetch(`/api/v1/users/${id}/cluster-permissions`, jsonPost({ cluster_id: 'x', role: 'owner' }, admin));
    expect(bad.status).toBe(400);
    expect(await json(await hub.fetch(`/api/v1/users/${id}/cluster-permissions`, { headers: admin }))).toEqual({ items: [] });
    expect((await hub.fetch(`/api/v1/users/${id}/cluster-permissions/no-such-cluster`, { method: 'DELETE', headers: admin })).status).toBe(404);
  });
});

describe("the user's own view of their permissions", () => {
  it('leaves out the clusters hidden from the user (none), which an admin still sees', async () => {
    const [shown, hidden] = await Promise.all(['me-shown', 'me-hidden'].map((name) => hub.deps.clusters.clusters.create(clusterRecord(name))));
    const { id, password } = await createUser(hub, admin.Authorization!.slice(7), 'nora', 'viewer');
    for (const [clusterId, role] of [
      [shown!.id, 'operator'],
      [hidden!.id, 'none'],
    ]) {
      expect((await hub.fetch(`/api/v1/users/${id}/cluster-permissions`, jsonPost({ cluster_id: clusterId, role }, admin))).status).toBe(200);
    }
    const nora = bearer((await login(hub, 'nora', password)).access_token);
    const me = await json(await hub.fetch('/api/v1/auth/me', { headers: nora }));
    expect(me.cluster_permissions).toEqual({ [shown!.id]: 'operator' });
    expect(JSON.stringify(me)).not.toContain(hidden!.id);
    const granted = await json(await hub.fetch(`/api/v1/users/${id}/cluster-permissions`, { headers: admin }));
    expect(granted.items).toEqual(expect.arrayContaining([{ cluster_id: hidden!.id, role: 'none' }]));
  });
});
