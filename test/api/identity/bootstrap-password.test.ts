import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretNotFoundError } from '#shared/ports/secret-store.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { json } from '#test/support/http.ts';
import { ADMIN_PASSWORD, bearer, createUser, jsonPost, login } from '#test/support/identity.ts';

const SECRET = 'clusterhub/bootstrap/admin-password';

// A hub as deployed: the first admin's password is also in the bootstrap secret (the stack generates
// it there; HUB_BOOTSTRAP_SECRET_ARN tells the identity function). And the local run, which keeps none.
let deployed: TestHub;
let local: TestHub;
beforeAll(async () => {
  [deployed, local] = await Promise.all([startTestHub({ HUB_BOOTSTRAP_SECRET_ARN: SECRET }), startTestHub()]);
  await deployed.deps.secrets.put(SECRET, ADMIN_PASSWORD);
});
afterAll(async () => {
  await Promise.all([deployed?.stop(), local?.stop()]);
});

const rotate = (hub: TestHub, token: string) => hub.fetch('/api/v1/auth/bootstrap-password/rotate', { method: 'POST', headers: bearer(token) });
const me = (token: string) => deployed.fetch('/api/v1/auth/me', { headers: bearer(token) });
const secretGone = () =>
  deployed.deps.secrets.get(SECRET).then(
    () => false,
    (err: unknown) => err instanceof SecretNotFoundError,
  );

describe('the bootstrap admin password secret', () => {
  it('is not there to rotate in the local run, which shows the first password once', async () => {
    const res = await rotate(local, (await login(local, 'admin', ADMIN_PASSWORD)).access_token);
    expect([res.status, (await json(res)).code]).toEqual([409, 'NO_BOOTSTRAP_SECRET']);
  });

  it('rotates to a generated password kept only in the secret, ending the other sessions and API keys of the first admin', async () => {
    const admin = await login(deployed, 'admin', ADMIN_PASSWORD);
    const elsewhere = await login(deployed, 'admin', ADMIN_PASSWORD);
    const key = await json(
      await deployed.fetch('/api/v1/auth/api-keys', jsonPost({ name: 'setup', current_password: ADMIN_PASSWORD }, bearer(admin.access_token))),
    );

    const res = await rotate(deployed, admin.access_token);
    expect(res.status).toBe(200);
    const body = await json(res);
    const rotated = await deployed.deps.secrets.get(SECRET);
    deployed.rememberSecret(rotated, 'the rotated bootstrap password');
    expect(rotated).not.toBe(ADMIN_PASSWORD);
    expect(body).toEqual({ user_id: expect.any(String), secret: SECRET, sessions_ended: 1, api_keys_revoked: [key.id] });

    expect((await deployed.fetch('/api/v1/auth/login', jsonPost({ username: 'admin', password: ADMIN_PASSWORD }))).status).toBe(401);
    await login(deployed, 'admin', rotated);
    expect((await me(elsewhere.access_token)).status).toBe(401);
    expect((await me(admin.access_token)).status).toBe(200);
    expect((await deployed.fetch('/api/v1/auth/me', { headers: { 'X-API-Key': key.key } })).status).toBe(401);
  });

  it("is deleted by the first admin's first password change, and then there is nothing to rotate", async () => {
    const current = await deployed.deps.secrets.get(SECRET);
    const admin = await login(deployed, 'admin', current);
    const changed = await deployed.fetch(
      '/api/v1/auth/change-password',
      jsonPost({ current_password: current, new_password: 'only-she-knows-this-one' }, bearer(admin.access_token)),
    );
    expect(changed.status).toBe(200);
    expect(await secretGone()).toBe(true);
    const [entry] = (await deployed.deps.audit.query({ action: 'auth.change_password' }, 1)).items;
    expect(entry!.details).toMatchObject({ bootstrap_removed: true });

    const again = await rotate(deployed, admin.access_token);
    expect([again.status, (await json(again)).code]).toEqual([409, 'BOOTSTRAP_PASSWORD_RETIRED']);
    // Later changes find no secret and carry on.
    const next = await deployed.fetch(
      '/api/v1/auth/change-password',
      jsonPost({ current_password: 'only-she-knows-this-one', new_password: 'and-now-another-one-42' }, bearer(admin.access_token)),
    );
    expect(next.status).toBe(200);
  });

  it("is deleted when another admin resets the first admin's password, and when it no longer opens anything", async () => {
    const admin = await login(deployed, 'admin', 'and-now-another-one-42');
    const other = await createUser(deployed, admin.access_token, 'second-admin', 'admin');
    const otherToken = (await login(deployed, 'second-admin', other.password)).access_token;

    // As if the first admin had never changed it: the secret holds the password they have.
    await deployed.deps.secrets.put(SECRET, 'and-now-another-one-42');
    const reset = await deployed.fetch(`/api/v1/users/${(await json(await me(admin.access_token))).id}`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json', ...bearer(otherToken) },
      body: JSON.stringify({ password: 'reset-by-the-second-one' }),
    });
    expect(reset.status).toBe(200);
    expect(await secretGone()).toBe(true);

    // A secret holding a password nobody has any more is removed by an attempt to rotate it.
    await deployed.deps.secrets.put(SECRET, 'a-password-of-nobody-at-all');
    const stale = await rotate(deployed, otherToken);
    expect([stale.status, (await json(stale)).code]).toEqual([409, 'BOOTSTRAP_PASSWORD_RETIRED']);
    expect(await secretGone()).toBe(true);
    await login(deployed, 'admin', 'reset-by-the-second-one');
  });
});
