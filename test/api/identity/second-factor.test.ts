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

const STEP_MS = 30_000;

/** A six-digit code valid in no step the server could be in during the test, so a wrong code is never right by chance. */
function wrongCode(secret: string): string {
  const now = Date.now();
  const valid = new Set([-1, 0, 1, 2].map((step) => totpCode(secret, new Date(now + step * STEP_MS))));
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, '0');
    if (!valid.has(candidate)) return candidate;
  }
}

describe('two-factor authentication (TOTP, RFC 6238)', () => {
  it('enrols, then demands a fresh code at every login, refusing wrong and replayed ones', async () => {
    const admin = await login(hub, 'admin', ADMIN_PASSWORD);
    const { password } = await createUser(hub, admin.access_token, 'erin', 'viewer');
    const session = await login(hub, 'erin', password);
    const auth = bearer(session.access_token);

    const setup = await hub.fetch('/api/v1/auth/2fa/setup', { method: 'POST', headers: auth });
    expect(setup.status).toBe(200);
    const { secret, otpauth_url } = await json(setup);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauth_url).toMatch(/^otpauth:\/\/totp\/clusterhub:erin\?/);
    expect(otpauth_url).toContain(`secret=${secret}`);

    // Not in force until a code proves the user holds the secret.
    await login(hub, 'erin', password);
    expect((await hub.fetch('/api/v1/auth/2fa/verify', jsonPost({ code: wrongCode(secret) }, auth))).status).toBe(400);
    const now = Date.now();
    const verify = await hub.fetch('/api/v1/auth/2fa/verify', jsonPost({ code: totpCode(secret, new Date(now)) }, auth));
    expect(verify.status).toBe(200);
    expect((await json(await hub.fetch('/api/v1/auth/me', { headers: auth }))).totp_enabled).toBe(true);

    const attempt = (totp_code?: string) => hub.fetch('/api/v1/auth/login', jsonPost({ username: 'erin', password, totp_code }));
    const missing = await attempt();
    expect(missing.status).toBe(401);
    expect((await json(missing)).code).toBe('TOTP_REQUIRED');
    expect((await attempt(wrongCode(secret))).status).toBe(401);
    // The enrolment code cannot be replayed; the next step's code (within the drift window) works once.
    expect((await attempt(totpCode(secret, new Date(now)))).status).toBe(401);
    const next = totpCode(secret, new Date(now + STEP_MS));
    expect((await attempt(next)).status).toBe(200);
    expect((await attempt(next)).status).toBe(401);

    // Turning it off needs a valid code too.
    expect((await hub.fetch('/api/v1/auth/2fa/disable', jsonPost({ code: wrongCode(secret) }, auth))).status).toBe(400);
  });

  it('turns off with a valid unused code', async () => {
    const admin = await login(hub, 'admin', ADMIN_PASSWORD);
    const { password } = await createUser(hub, admin.access_token, 'frank', 'viewer');
    const auth = bearer((await login(hub, 'frank', password)).access_token);
    const { secret } = await json(await hub.fetch('/api/v1/auth/2fa/setup', { method: 'POST', headers: auth }));
    // Codes of this step and the next: both stay inside the drift window even if a step boundary passes mid-test.
    const now = Date.now();
    expect((await hub.fetch('/api/v1/auth/2fa/verify', jsonPost({ code: totpCode(secret, new Date(now)) }, auth))).status).toBe(200);
    const off = await hub.fetch('/api/v1/auth/2fa/disable', jsonPost({ code: totpCode(secret, new Date(now + STEP_MS)) }, auth));
    expect(off.status).toBe(200);
    expect(await json(off)).toEqual({ totp_enabled: false });
    await login(hub, 'frank', password);
  });

  it("binds a sealed seed to its user: copied into another user's record, it opens nothing", async () => {
    const admin = await login(hub, 'admin', ADMIN_PASSWORD);
    const mallory = await createUser(hub, admin.access_token, 'mallory', 'viewer');
    const victim = await createUser(hub, admin.access_token, 'victor', 'admin');
    const auth = bearer((await login(hub, 'mallory', mallory.password)).access_token);
    const { secret } = await json(await hub.fetch('/api/v1/auth/2fa/setup', { method: 'POST', headers: auth }));
    const now = Date.now();
    expect((await hub.fetch('/api/v1/auth/2fa/verify', jsonPost({ code: totpCode(secret, new Date(now)) }, auth))).status).toBe(200);

    // Someone who can write the table but not read the sealing key plants mallory's sealed seed on victor.
    const sealed = (await hub.deps.identity.users.get(mallory.id))!.totp!;
    await hub.deps.identity.users.update((await hub.deps.identity.users.get(victim.id))!, { totp: { ...sealed, lastStep: undefined } });

    const code = totpCode(secret, new Date(now + STEP_MS));
    const planted = await hub.fetch('/api/v1/auth/login', jsonPost({ username: 'victor', password: victim.password, totp_code: code }));
    expect(planted.status).toBe(401);
    expect((await json(planted)).code).toBe('INVALID_TOTP');
    // Where it was sealed, the seed still works.
    expect((await hub.fetch('/api/v1/auth/login', jsonPost({ username: 'mallory', password: mallory.password, totp_code: code }))).status).toBe(200);
  });

  it('keeps the seed sealed at rest', async () => {
    const admin = await login(hub, 'admin', ADMIN_PASSWORD);
    const { id, password } = await createUser(hub, admin.access_token, 'grace', 'viewer');
    const auth = bearer((await login(hub, 'grace', password)).access_token);
    const { secret } = await json(await hub.fetch('/api/v1/auth/2fa/setup', { method: 'POST', headers: auth }));
    const stored = JSON.stringify(await hub.deps.table.get({ pk: `USER#${id}`, sk: 'USER' }));
    expect(stored).not.toContain(secret);
    expect(stored).toContain('sealed_secret');
  });
});
