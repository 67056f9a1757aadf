import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '#shared/domain/identity/totp.ts';
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

    const created = await hub.fetch('/api/v1/auth/api-keys', jsonPost({ name: 'ci', expires_in_days: 30, current_password: password }, heidi));
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
    const key = await json(await hub.fetch('/api/v1/auth/api-keys', jsonPost({ name: 'short', expires_in_days: 1, current_password: password }, judy)));
    const withKey = { 'X-API-Key': key.key };
    const attempts = await Promise.all([
      hub.fetch('/api/v1/auth/api-keys', jsonPost({ name: 'another', current_password: password }, withKey)),
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
    const adminKey = await json(
      await hub.fetch('/api/v1/auth/api-keys', jsonPost({ name: 'admin-key', current_password: ADMIN_PASSWORD }, bearer(admin.access_token))),
    );
    const { password } = await createUser(hub, admin.access_token, 'ivan', 'operator');
    const ivan = bearer((await login(hub, 'ivan', password)).access_token);
    expect((await hub.fetch(`/api/v1/auth/api-keys/${adminKey.id}`, { method: 'DELETE', headers: ivan })).status).toBe(404);
    expect((await hub.fetch('/api/v1/auth/me', { headers: { 'X-API-Key': adminKey.key } })).status).toBe(200);
  });

  it('refuses an expired key and a malformed one', async () => {
    const admin = await login(hub, 'admin', ADMIN_PASSWORD);
    const key = await json(
      await hub.fetch(
        '/api/v1/auth/api-keys',
        jsonPost({ name: 'short-lived', expires_in_days: 1, current_password: ADMIN_PASSWORD }, bearer(admin.access_token)),
      ),
    );
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
    const key = await json(
      await hub.fetch('/api/v1/auth/api-keys', jsonPost({ name: 'at-rest', current_password: ADMIN_PASSWORD }, bearer(admin.access_token))),
    );
    const everything = JSON.stringify((await hub.deps.table.doc.send(new ScanCommand({ TableName: hub.deps.table.name }))).Items);
    expect(everything).not.toContain(key.key);
    // The random part is the last 43 characters; it is base64url, so it may itself contain '_'.
    expect(everything).not.toContain(key.key.slice(-43));
    expect(everything).not.toContain(admin.refresh_token.slice(-43));
    expect(everything).not.toContain(ADMIN_PASSWORD);
    expect(everything).toContain('$argon2id$v=19$m=19456,t=2,p=1$');
  });
});

const DAY_MS = 86_400_000;
const me = (key: string) => hub.fetch('/api/v1/auth/me', { headers: { 'X-API-Key': key } });
const makeKey = async (auth: Record<string, string>, body: Record<string, unknown>) => {
  const res = await hub.fetch('/api/v1/auth/api-keys', jsonPost(body, auth));
  return { status: res.status, body: await json(res) };
};

describe('making an API key needs the password again', () => {
  it('refuses a session that cannot give the password', async () => {
    const admin = await login(hub, 'admin', ADMIN_PASSWORD);
    const { password } = await createUser(hub, admin.access_token, 'kim', 'operator');
    const kim = bearer((await login(hub, 'kim', password)).access_token);

    const missing = await makeKey(kim, { name: 'stolen-token' });
    expect(missing.status).toBe(400);
    expect(missing.body.errors.map((e: { field: string }) => e.field)).toEqual(['current_password']);
    const wrong = await makeKey(kim, { name: 'stolen-token', current_password: 'a-guessed-password' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('INVALID_CREDENTIALS');
    expect((await json(await hub.fetch('/api/v1/auth/api-keys', { headers: kim }))).items).toEqual([]);
    expect((await makeKey(kim, { name: 'k', current_password: password })).status).toBe(201);
  });

  it('asks for a fresh two-factor code when 2FA is on, and never takes one twice', async () => {
    const admin = await login(hub, 'admin', ADMIN_PASSWORD);
    const { password } = await createUser(hub, admin.access_token, 'lena', 'viewer');
    const lena = bearer((await login(hub, 'lena', password)).access_token);
    const { secret } = await json(await hub.fetch('/api/v1/auth/2fa/setup', { method: 'POST', headers: lena }));
    const now = Date.now();
    expect((await hub.fetch('/api/v1/auth/2fa/verify', jsonPost({ code: totpCode(secret, new Date(now)) }, lena))).status).toBe(200);

    const noCode = await makeKey(lena, { name: 'ci', current_password: password });
    expect([noCode.status, noCode.body.code]).toEqual([401, 'TOTP_REQUIRED']);
    // The enrolment code is used up; the next step's works once.
    const enrolmentCode = await makeKey(lena, { name: 'ci', current_password: password, totp_code: totpCode(secret, new Date(now)) });
    expect([enrolmentCode.status, enrolmentCode.body.code]).toEqual([401, 'INVALID_TOTP']);
    const next = totpCode(secret, new Date(now + 30_000));
    expect((await makeKey(lena, { name: 'ci', current_password: password, totp_code: next })).status).toBe(201);
    expect((await makeKey(lena, { name: 'ci-2', current_password: password, totp_code: next })).status).toBe(401);
    // Nor can the code used for the key log in.
    expect((await hub.fetch('/api/v1/auth/login', jsonPost({ username: 'lena', password, totp_code: next }))).status).toBe(401);
  });
});

describe('API key lifetime', () => {
  it('gives a key without expiry the cap (90 days by default) and refuses a longer one', async () => {
    const admin = bearer((await login(hub, 'admin', ADMIN_PASSWORD)).access_token);
    const capped = await makeKey(admin, { name: 'no-expiry-asked', current_password: ADMIN_PASSWORD });
    expect(capped.status).toBe(201);
    expect(Date.parse(capped.body.expires_at) - Date.parse(capped.body.created_at)).toBe(90 * DAY_MS);

    const tooLong = await makeKey(admin, { name: 'forever', expires_in_days: 91, current_password: ADMIN_PASSWORD });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.errors).toEqual([expect.objectContaining({ field: 'expires_in_days', message: 'at most 90' })]);
    expect((await makeKey(admin, { name: 'longest', expires_in_days: 90, current_password: ADMIN_PASSWORD })).status).toBe(201);
  });

  it('takes the cap from HUB_API_KEY_MAX_DAYS, for keys already made too', async () => {
    const short = await startTestHub({ HUB_API_KEY_MAX_DAYS: '7' });
    try {
      const admin = bearer((await login(short, 'admin', ADMIN_PASSWORD)).access_token);
      const asked = async (body: Record<string, unknown>) => {
        const res = await short.fetch('/api/v1/auth/api-keys', jsonPost({ current_password: ADMIN_PASSWORD, ...body }, admin));
        return { status: res.status, body: await json(res) };
      };
      expect((await asked({ name: 'eight', expires_in_days: 8 })).status).toBe(400);
      const key = await asked({ name: 'default' });
      expect(Date.parse(key.body.expires_at) - Date.parse(key.body.created_at)).toBe(7 * DAY_MS);

      // A key made under a longer cap (or with none) stops when the current cap says, and is listed so.
      const stored = (await short.deps.identity.apiKeys.get(key.body.id))!;
      await short.deps.identity.apiKeys.delete(stored.userId, stored.id);
      const made = new Date(Date.now() - 8 * DAY_MS).toISOString();
      await short.deps.identity.apiKeys.create({ ...stored, createdAt: made, expiresAt: undefined });
      const refused = await short.fetch('/api/v1/auth/me', { headers: { 'X-API-Key': key.body.key } });
      expect([refused.status, (await json(refused)).code]).toEqual([401, 'INVALID_API_KEY']);
      const listed = (await json(await short.fetch('/api/v1/auth/api-keys', { headers: admin }))).items;
      expect(listed).toEqual([expect.objectContaining({ id: key.body.id, expires_at: new Date(Date.parse(made) + 7 * DAY_MS).toISOString() })]);
    } finally {
      await short.stop();
    }
  });
});

describe('API keys die with the credentials they were made under', () => {
  it("a password change revokes the user's keys, audited, and a key the revocation missed is refused too", async () => {
    const admin = await login(hub, 'admin', ADMIN_PASSWORD);
    const { id, password } = await createUser(hub, admin.access_token, 'mona', 'operator');
    const mona = bearer((await login(hub, 'mona', password)).access_token);
    const first = (await makeKey(mona, { name: 'ci', current_password: password })).body;
    const second = (await makeKey(mona, { name: 'laptop', current_password: password })).body;
    expect((await me(first.key)).status).toBe(200);
    const missed = (await hub.deps.identity.apiKeys.get(second.id))!;

    const changed = await hub.fetch('/api/v1/auth/change-password', jsonPost({ current_password: password, new_password: 'she-has-a-new-passphrase' }, mona));
    expect(changed.status).toBe(200);
    expect((await json(changed)).api_keys_revoked.sort()).toEqual([first.id, second.id].sort());
    expect((await me(first.key)).status).toBe(401);
    expect((await json(await hub.fetch('/api/v1/auth/api-keys', { headers: mona }))).items).toEqual([]);
    const [entry] = (await hub.deps.audit.query({ userId: id, action: 'auth.change_password' }, 1)).items;
    expect(entry!.details.revoked_keys).toEqual(expect.arrayContaining([first.id, second.id]));

    // A key made at the moment of the change (or not yet in the index the revocation reads) survives
    // the deletion: it was made under the old password, so it is refused all the same.
    await hub.deps.identity.apiKeys.create(missed);
    expect((await me(second.key)).status).toBe(401);
    // A key made with the new password works.
    const fresh = (await makeKey(mona, { name: 'ci', current_password: 'she-has-a-new-passphrase' })).body;
    expect((await me(fresh.key)).status).toBe(200);
  });

  it("an admin's password reset and a demotion revoke the user's keys (audited); a promotion does not", async () => {
    const adminPair = await login(hub, 'admin', ADMIN_PASSWORD);
    const admin = bearer(adminPair.access_token);
    const { id, password } = await createUser(hub, adminPair.access_token, 'nora', 'operator');
    const patch = (body: Record<string, unknown>) =>
      hub.fetch(`/api/v1/users/${id}`, { method: 'PATCH', headers: { 'Content-Type': 'application/json', ...admin }, body: JSON.stringify(body) });
    const keyOfNora = async (pw: string) => (await makeKey(bearer((await login(hub, 'nora', pw)).access_token), { name: 'k', current_password: pw })).body;

    const beforeReset = await keyOfNora(password);
    expect((await patch({ password: 'reset-by-the-admin-123' })).status).toBe(200);
    expect((await me(beforeReset.key)).status).toBe(401);

    const beforePromotion = await keyOfNora('reset-by-the-admin-123');
    expect((await patch({ role: 'admin' })).status).toBe(200);
    expect(await json(await me(beforePromotion.key))).toMatchObject({ role: 'admin' });

    const beforeDemotion = await keyOfNora('reset-by-the-admin-123');
    expect((await patch({ role: 'viewer' })).status).toBe(200);
    expect((await me(beforeDemotion.key)).status).toBe(401);
    expect((await me(beforePromotion.key)).status).toBe(401);
    expect(
      (await json(await hub.fetch('/api/v1/auth/api-keys', { headers: bearer((await login(hub, 'nora', 'reset-by-the-admin-123')).access_token) }))).items,
    ).toEqual([]);

    const updates = (await hub.deps.audit.query({ action: 'user.update' }, 10)).items.filter((e) => e.resourceId === id);
    // Newest first: demotion, promotion, reset.
    expect(updates.map((e) => e.details.revoked_keys)).toEqual([expect.arrayContaining([beforePromotion.id, beforeDemotion.id]), [], [beforeReset.id]]);
  });
});
