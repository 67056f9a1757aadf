import { SignJWT, UnsecuredJWT, generateKeyPair } from 'jose';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { json } from '#test/support/http.ts';
import { ADMIN_PASSWORD, bearer, createUser, jsonPost, login } from '#test/support/identity.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(async () => hub?.stop());

const me = (token: string) => hub.fetch('/api/v1/auth/me', { headers: bearer(token) });

describe('login', () => {
  it('answers a token pair for the bootstrapped admin', async () => {
    const pair = await login(hub, 'admin', ADMIN_PASSWORD);
    expect(pair).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    expect(pair.access_token.split('.')).toHaveLength(3);
    const body = await json(await me(pair.access_token));
    expect(body).toMatchObject({ username: 'admin', role: 'admin', cluster_permissions: {}, totp_enabled: false });
  });

  it('answers the same 401 for a wrong password and for a user that does not exist', async () => {
    const wrong = await hub.fetch('/api/v1/auth/login', jsonPost({ username: 'admin', password: 'not-the-password' }));
    const nobody = await hub.fetch('/api/v1/auth/login', jsonPost({ username: 'nobody-here', password: 'not-the-password' }));
    expect(wrong.status).toBe(401);
    expect(nobody.status).toBe(401);
    const [a, b] = [await json(wrong), await json(nobody)];
    expect(a.code).toBe('INVALID_CREDENTIALS');
    expect({ ...a, request_id: '' }).toEqual({ ...b, request_id: '' });
  });

  it('refuses a request without credentials', async () => {
    const res = await hub.fetch('/api/v1/auth/me');
    expect(res.status).toBe(401);
    expect((await json(res)).code).toBe('AUTHENTICATION_REQUIRED');
  });
});

describe('access tokens are refused unless ours, intact and current', () => {
  const claims = (sub: string, sid: string) => ({ sid, sub, iss: 'clusterhub', aud: 'clusterhub-api' });

  it('refuses a tampered token', async () => {
    const { access_token } = await login(hub, 'admin', ADMIN_PASSWORD);
    const [h, p, sig] = access_token.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    payload.sub = 'someone-else';
    const forged = [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), sig].join('.');
    expect((await me(forged)).status).toBe(401);
  });

  it('refuses alg "none", a foreign key under our key id, and an expired token', async () => {
    const { access_token } = await login(hub, 'admin', ADMIN_PASSWORD);
    const real = JSON.parse(Buffer.from(access_token.split('.')[1]!, 'base64url').toString());
    const { kid } = JSON.parse(Buffer.from(access_token.split('.')[0]!, 'base64url').toString());

    const none = new UnsecuredJWT(claims(real.sub, real.sid)).setExpirationTime('5m').encode();
    expect((await me(none)).status).toBe(401);

    const foreign = await generateKeyPair('ES256');
    const impostor = await new SignJWT(claims(real.sub, real.sid)).setProtectedHeader({ alg: 'ES256', kid }).setExpirationTime('5m').sign(foreign.privateKey);
    expect((await me(impostor)).status).toBe(401);

    const hs = await new SignJWT(claims(real.sub, real.sid))
      .setProtectedHeader({ alg: 'HS256', kid })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('x'.repeat(32)));
    expect((await me(hs)).status).toBe(401);

    const [key] = (await hub.deps.identity.keyring.current()).signing;
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT(claims(real.sub, real.sid))
      .setProtectedHeader({ alg: 'ES256', kid: key!.kid })
      .setIssuedAt(now - 3600)
      .setExpirationTime(now - 60)
      .sign(key!.privateKey);
    const res = await me(expired);
    expect(res.status).toBe(401);
    expect((await json(res)).code).toBe('TOKEN_EXPIRED');

    const noExpiry = await new SignJWT(claims(real.sub, real.sid)).setProtectedHeader({ alg: 'ES256', kid: key!.kid }).sign(key!.privateKey);
    expect((await me(noExpiry)).status).toBe(401);
    const otherAudience = await new SignJWT({ ...claims(real.sub, real.sid), aud: 'another-api' })
      .setProtectedHeader({ alg: 'ES256', kid: key!.kid })
      .setExpirationTime('5m')
      .sign(key!.privateKey);
    expect((await me(otherAudience)).status).toBe(401);
    const otherIssuer = await new SignJWT({ ...claims(real.sub, real.sid), iss: 'someone-else' })
      .setProtectedHeader({ alg: 'ES256', kid: key!.kid })
      .setExpirationTime('5m')
      .sign(key!.privateKey);
    expect((await me(otherIssuer)).status).toBe(401);
  });

  it('keeps old tokens valid across a signing key rotation', async () => {
    const admin = await login(hub, 'admin', ADMIN_PASSWORD);
    const rotated = await hub.fetch('/api/v1/auth/signing-keys/rotate', { method: 'POST', headers: bearer(admin.access_token) });
    expect(rotated.status).toBe(200);
    expect((await me(admin.access_token)).status).toBe(200);
    const fresh = await login(hub, 'admin', ADMIN_PASSWORD);
    const kid = (t: string) => JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()).kid;
    expect(kid(fresh.access_token)).toBe((await json(rotated)).kid);
    expect((await me(fresh.access_token)).status).toBe(200);
  });
});

describe('refresh tokens rotate and a reused one revokes the whole session', () => {
  it('rotates, then treats a second use of the old token as theft', async () => {
    const first = await login(hub, 'admin', ADMIN_PASSWORD);
    const res = await hub.fetch('/api/v1/auth/refresh', jsonPost({ refresh_token: first.refresh_token }));
    expect(res.status).toBe(200);
    const second = await json(res);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await me(second.access_token)).status).toBe(200);

    const reuse = await hub.fetch('/api/v1/auth/refresh', jsonPost({ refresh_token: first.refresh_token }));
    expect(reuse.status).toBe(401);
    expect((await json(reuse)).code).toBe('REFRESH_TOKEN_REUSED');
    // The whole family is dead: the newest refresh token and the access tokens of the session.
    expect((await hub.fetch('/api/v1/auth/refresh', jsonPost({ refresh_token: second.refresh_token }))).status).toBe(401);
    expect((await me(second.access_token)).status).toBe(401);
    expect((await me(first.access_token)).status).toBe(401);
  });

  it('refuses a made-up refresh token', async () => {
    const res = await hub.fetch('/api/v1/auth/refresh', jsonPost({ refresh_token: 'chr_abc_' + 'x'.repeat(43) }));
    expect(res.status).toBe(401);
  });

  it('refuses a wrong secret for a real session without ending it: knowing a session id is not enough', async () => {
    const pair = await login(hub, 'admin', ADMIN_PASSWORD);
    const sessionId = pair.refresh_token.split('_')[1]!;
    const forged = `chr_${sessionId}_${'A'.repeat(43)}`;
    const res = await hub.fetch('/api/v1/auth/refresh', jsonPost({ refresh_token: forged }));
    expect(res.status).toBe(401);
    expect((await json(res)).code).toBe('INVALID_TOKEN');
    expect((await me(pair.access_token)).status).toBe(200);
    expect((await hub.fetch('/api/v1/auth/refresh', jsonPost({ refresh_token: pair.refresh_token }))).status).toBe(200);
  });

  it('revokes the session when any earlier refresh token of it comes back', async () => {
    const first = await login(hub, 'admin', ADMIN_PASSWORD);
    let current = first;
    for (let i = 0; i < 3; i++) {
      const res = await hub.fetch('/api/v1/auth/refresh', jsonPost({ refresh_token: current.refresh_token }));
      expect(res.status).toBe(200);
      current = await json(res);
    }
    const replay = await hub.fetch('/api/v1/auth/refresh', jsonPost({ refresh_token: first.refresh_token }));
    expect(replay.status).toBe(401);
    expect((await json(replay)).code).toBe('REFRESH_TOKEN_REUSED');
    expect((await me(current.access_token)).status).toBe(401);
    expect((await hub.fetch('/api/v1/auth/refresh', jsonPost({ refresh_token: current.refresh_token }))).status).toBe(401);
  });

  it('logout ends the session', async () => {
    const pair = await login(hub, 'admin', ADMIN_PASSWORD);
    expect((await hub.fetch('/api/v1/auth/logout', { method: 'POST', headers: bearer(pair.access_token) })).status).toBe(204);
    expect((await me(pair.access_token)).status).toBe(401);
    expect((await hub.fetch('/api/v1/auth/refresh', jsonPost({ refresh_token: pair.refresh_token }))).status).toBe(401);
  });
});

describe('change password', () => {
  it('enforces the policy, needs the current password, and ends the other sessions', async () => {
    const admin = await login(hub, 'admin', ADMIN_PASSWORD);
    const { password } = await createUser(hub, admin.access_token, 'carol', 'viewer');
    const here = await login(hub, 'carol', password);
    const elsewhere = await login(hub, 'carol', password);
    const change = (current_password: string, new_password: string) =>
      hub.fetch('/api/v1/auth/change-password', jsonPost({ current_password, new_password }, bearer(here.access_token)));

    for (const weak of ['short-1', 'my-name-is-carol-ok', 'Password2024!', 'qwertyuiop123']) {
      const res = await change(password, weak);
      expect(res.status, weak).toBe(400);
      expect((await json(res)).errors[0].field).toBe('new_password');
    }
    expect((await change('wrong-current-password', 'a-new-and-long-passphrase')).status).toBe(401);
    const ok = await change(password, 'a-new-and-long-passphrase');
    expect(ok.status).toBe(200);
    expect((await json(ok)).sessions_ended).toBe(1);
    expect((await me(elsewhere.access_token)).status).toBe(401);
    expect((await me(here.access_token)).status).toBe(200);
    await expect(login(hub, 'carol', password)).rejects.toThrow(/401/);
    await login(hub, 'carol', 'a-new-and-long-passphrase');
  });
});

describe('lockout (from one address; login-lockout.test.ts tries several)', () => {
  it('locks the address out of the account after five failures in a row (429 even with the right password) until an admin unlocks', async () => {
    const admin = await login(hub, 'admin', ADMIN_PASSWORD);
    const { id, password } = await createUser(hub, admin.access_token, 'dave', 'operator');
    const attempt = (pw: string, headers: Record<string, string> = {}) =>
      hub.fetch('/api/v1/auth/login', jsonPost({ username: 'dave', password: pw }, headers));
    for (let i = 0; i < 5; i++) expect((await attempt('wrong-password-' + i)).status).toBe(401);
    const sixth = await attempt('wrong-password-6');
    expect(sixth.status).toBe(429);
    const body = await json(sixth);
    expect(body.code).toBe('TOO_MANY_FAILED_LOGINS');
    const retryAfter = Number(sixth.headers.get('retry-after'));
    expect(retryAfter).toBe(body.retry_after_seconds);
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    // Even the right password waits out the lock, and this hub trusts no proxy: X-Forwarded-For changes nothing.
    expect((await attempt(password)).status).toBe(429);
    expect((await attempt(password, { 'X-Forwarded-For': '198.51.100.77' })).status).toBe(429);

    const unlock = await hub.fetch(`/api/v1/users/${id}/unlock`, { method: 'POST', headers: bearer(admin.access_token) });
    expect(unlock.status).toBe(200);
    expect((await attempt(password)).status).toBe(200);
  });
});

describe('lockout counting', () => {
  const attempt = (username: string, pw: string) => hub.fetch('/api/v1/auth/login', jsonPost({ username, password: pw }));

  it('counts failures in a row only: a successful login starts the count again', async () => {
    const admin = await login(hub, 'admin', ADMIN_PASSWORD);
    const { password } = await createUser(hub, admin.access_token, 'erik', 'viewer');
    for (let i = 0; i < 4; i++) expect((await attempt('erik', `wrong-${i}`)).status).toBe(401);
    expect((await attempt('erik', password)).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await attempt('erik', `wrong-again-${i}`)).status).toBe(401);
    expect((await attempt('erik', password)).status).toBe(200);
  });

  it('lets an address in once its lockout has run out, counting afresh', async () => {
    const admin = await login(hub, 'admin', ADMIN_PASSWORD);
    const { password } = await createUser(hub, admin.access_token, 'fiona', 'viewer');
    await login(hub, 'fiona', password);
    for (let i = 0; i < 5; i++) await attempt('fiona', `wrong-${i}`);
    expect((await attempt('fiona', password)).status).toBe(429);
    // Fifteen minutes pass: move the lockout into the past rather than wait.
    await hub.deps.table.doc.send(
      new UpdateCommand({
        TableName: hub.deps.table.name,
        Key: { pk: 'LOGIN#fiona', sk: 'SOURCE#127.0.0.1' },
        UpdateExpression: 'SET expires_at = :past',
        ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 },
      }),
    );
    expect((await attempt('fiona', 'still-wrong')).status).toBe(401);
    expect((await attempt('fiona', password)).status).toBe(200);
  });

  it('locks credential changes, not logins, after five wrong current passwords on change-password', async () => {
    const admin = await login(hub, 'admin', ADMIN_PASSWORD);
    const { password } = await createUser(hub, admin.access_token, 'hana', 'viewer');
    const hana = bearer((await login(hub, 'hana', password)).access_token);
    const change = (current: string, auth = hana) =>
      hub.fetch('/api/v1/auth/change-password', jsonPost({ current_password: current, new_password: 'a-fresh-long-passphrase' }, auth));
    expect((await Promise.all([0, 1, 2, 3, 4, 5, 6].map((i) => change(`guess-${i}`)))).map((r) => r.status).sort()).toEqual([
      401, 401, 401, 401, 401, 423, 423,
    ]);
    const locked = await change(password);
    expect(locked.status).toBe(423);
    expect((await json(locked)).code).toBe('ACCOUNT_LOCKED');
    // A stolen session guessing cannot keep its owner from logging in; a new session changes nothing either until the lock ends.
    const fresh = bearer((await login(hub, 'hana', password)).access_token);
    expect((await change(password, fresh)).status).toBe(423);
  });

  it('lets several logins of one user succeed at the same moment', async () => {
    const admin = await login(hub, 'admin', ADMIN_PASSWORD);
    const { password } = await createUser(hub, admin.access_token, 'gita', 'viewer');
    const statuses = (await Promise.all([1, 2, 3, 4].map(() => attempt('gita', password)))).map((r) => r.status);
    expect(statuses).toEqual([200, 200, 200, 200]);
  });
});

describe('credentials never leak', () => {
  it('keeps passwords and tokens out of every log line', async () => {
    const pair = await login(hub, 'admin', ADMIN_PASSWORD);
    await me(pair.access_token);
    const logs = hub.logs.join('\n');
    expect(logs).not.toContain(ADMIN_PASSWORD);
    expect(logs).not.toContain(pair.access_token);
    expect(logs).not.toContain(pair.refresh_token);
  });
});
