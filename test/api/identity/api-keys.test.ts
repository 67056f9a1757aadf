import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { json } from '#test/support/http.ts';
import { ADMIN_PASSWORD, bearer, createUser, jsonPost, login } from '#test/support/identity.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(async () => hub?.stop());

describe('API keys', () => {
  it('are shown once, listed without the key, act as their owner, and die when revoked', async () => {
    const admin = await login(hub, 'admin', ADMIN_PASSWORD);
    const { password } = await createUser(hub, admin.access_token, 'heidi', 'viewer');
    const heidi = bearer((await login(hub, 'heidi', password)).access_token);

    const created = await hub.fetch('/api/v1/auth/api-keys', jsonPost({ name: 'ci', expires_in_days: 30 }, heidi));
    expect(created.status).toBe(201);
    const key = await json(created);
    expect(key.key).toMatch(/^chk_/);
    expect(Date.parse(key.expires_at) - Date.now()).toBeGreaterThan(29 * 86_400_000);

    const list = await json(await hub.fetch('/api/v1/auth/api-keys', { headers: heidi }));
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({ id: key.id, name: 'ci', prefix: key.key.slice(0, 12) });
    expect(JSON.stringify(list)).not.toContain(key.key);

    const withKey = { 'X-API-Key': key.key };
    expect(await json(await hub.fetch('/api/v1/auth/me', { headers: withKey }))).toMatchObject({ username: 'heidi', role: 'viewer', auth_method: 'api-key' });
    // Its owner's permissions, no more: a viewer's key cannot create users.
    expect((await hub.fetch('/api/v1/users', jsonPost({ username: 'mallory', password: 'x'.repeat(20), role: 'admin' }, withKey))).status).toBe(403);

    expect((await hub.fetch(`/api/v1/auth/api-keys/${key.id}`, { method: 'DELETE', headers: heidi })).status).toBe(204);
    expect((await hub.fetch('/api/v1/auth/me', { headers: withKey })).status).toBe(401);
    expect((await hub.fetch(`/api/v1/auth/api-keys/${key.id}`, { method: 'DELETE', headers: heidi })).status).toBe(404);
  });

  it('cannot change credentials: no new keys, password or 2FA changes with a key', async () => {
    const admin = await login(hub, 'admin', ADMIN_PASSWORD);
    const { password } = await createUser(hub, admin.access_token, 'judy', 'operator');
    const judy = bearer((await login(hub, 'judy', password)).access_token);
    const key = await json(await hub.fetch('/api/v1/auth/api-keys', jsonPost({ name: 'short', expires_in_days: 1 }, judy)));
    const withKey = { 'X-API-Key': key.key };
    const attempts = await Promise.all([
      hub.fetch('/api/v1/auth/api-keys', jsonPost({ name: 'forever' }, withKey)),
      hub.fetch('/api/v1/auth/change-password', jsonPost({ current_password: password, new_password: 'a-brand-new-passphrase' }, withKey)),
      hub.fetch('/api/v1/auth/2fa/setup', { method: 'POST', headers: withKey }),
    ]);
    expect(attempts.map((r) => r.status)).toEqual([403, 403, 403]);
    expect((await json(attempts[0]!)).detail).toContain('login session');
    // Nothing changed: one key, and the password still logs in.
    expect((await json(await hub.fetch('/api/v1/auth/api-keys', { headers: judy }))).items).toHaveLength(1);
    await login(hub, 'judy', password);
  });

  it("cannot revoke someone else's key", async () => {
    const admin = await login(hub, 'admin', ADMIN_PASSWORD);
    const adminKey = await json(await hub.fetch('/api/v1/auth/api-keys', jsonPost({ name: 'admin-key' }, bearer(admin.access_token))));
    const { password } = await createUser(hub, admin.access_token, 'ivan', 'operator');
    const ivan = bearer((await login(hub, 'ivan', password)).access_token);
    expect((await hub.fetch(`/api/v1/auth/api-keys/${adminKey.id}`, { method: 'DELETE', headers: ivan })).status).toBe(404);
    expect((await hub.fetch('/api/v1/auth/me', { headers: { 'X-API-Key': adminKey.key } })).status).toBe(200);
  });

  it('refuses an expired key and a malformed one', async () => {
    const admin = await login(hub, 'admin', ADMIN_PASSWORD);
    const key = await json(await hub.fetch('/api/v1/auth/api-keys', jsonPost({ name: 'short-lived', expires_in_days: 1 }, bearer(admin.access_token))));
    const stored = (await hub.deps.identity.apiKeys.get(key.id))!;
    await hub.deps.identity.apiKeys.delete(stored.userId, stored.id);
    await hub.deps.identity.apiKeys.create({ ...stored, expiresAt: new Date(Date.now() - 1000).toISOString() });
    const expired = await hub.fetch('/api/v1/auth/me', { headers: { 'X-API-Key': key.key } });
    expect(expired.status).toBe(401);
    expect((await json(expired)).code).toBe('INVALID_API_KEY');
    expect((await hub.fetch('/api/v1/auth/me', { headers: { 'X-API-Key': 'chk_nope' } })).status).toBe(401);
  });

  it('keeps no key, refresh token or password at rest in a form that logs anyone in', async () => {
    const admin = await login(hub, 'admin', ADMIN_PASSWORD);
    const key = await json(await hub.fetch('/api/v1/auth/api-keys', jsonPost({ name: 'at-rest' }, bearer(admin.access_token))));
    const everything = JSON.stringify((await hub.deps.table.doc.send(new ScanCommand({ TableName: hub.deps.table.name }))).Items);
    expect(everything).not.toContain(key.key);
    // The random part is the last 43 characters; it is base64url, so it may itself contain '_'.
    expect(everything).not.toContain(key.key.slice(-43));
    expect(everything).not.toContain(admin.refresh_token.slice(-43));
    expect(everything).not.toContain(ADMIN_PASSWORD);
    expect(everything).toContain('$argon2id$v=19$m=19456,t=2,p=1$');
  });
});
