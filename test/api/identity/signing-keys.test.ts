import { decodeJwt, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIENCE, ISSUER } from '#shared/domain/identity/access-tokens.ts';
import { CACHE_MS, IDENTITY_KEY_SECRETS, RETIRE_AFTER_MS } from '#shared/domain/identity/keyring.ts';
import { movableClock, startTestHub, type TestHub } from '#test/support/hub.ts';
import { json } from '#test/support/http.ts';
import { ADMIN_PASSWORD, bearer, jsonPost, login } from '#test/support/identity.ts';

// Two instances of one deployment (one table, one secret store), as two warm Lambdas; each has a
// clock the test moves forward instead of waiting out a cache window or a key's retirement.
const clockA = movableClock();
const clockB = movableClock();
let a: TestHub;
let b: TestHub;
beforeAll(async () => {
  a = await startTestHub({}, { clock: clockA });
  b = await startTestHub({}, { instanceOf: a, clock: clockB });
});
afterAll(async () => {
  await b?.stop();
  await a?.stop();
});

const me = (hub: TestHub, token: string) => hub.fetch('/api/v1/auth/me', { headers: bearer(token) });
const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid as string;
const rotate = (token: string, body?: unknown) =>
  a.fetch('/api/v1/auth/signing-keys/rotate', body === undefined ? { method: 'POST', headers: bearer(token) } : jsonPost(body, bearer(token)));
const published = async () =>
  (JSON.parse(await a.deps.secrets.get(`clusterhub/${IDENTITY_KEY_SECRETS.verificationKeys}`)) as { keys: { kid: string; retires_at?: string }[] }).keys;

/** A token for a real session, signed with the key `a` signs with now and valid for hours: what a leaked key lets anyone mint. */
async function forgeWithCurrentKey(session: string) {
  const [key] = (await a.deps.identity.keyring.current()).signing;
  const { sub, sid } = decodeJwt(session);
  return new SignJWT({ sid })
    .setProtectedHeader({ alg: 'ES256', kid: key!.kid })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(sub!)
    .setExpirationTime(Math.floor(clockB.now().getTime() / 1000) + 48 * 3600)
    .sign(key!.privateKey);
}

describe('revoking the previous signing key', () => {
  it('refuses its tokens at once on the rotating instance and within the cache window on every other; sessions refresh onto the new key', async () => {
    const admin = await login(a, 'admin', ADMIN_PASSWORD);
    const old = admin.access_token;
    expect((await me(b, old)).status).toBe(200);

    const res = await rotate(old, { revoke_previous: true });
    expect(res.status).toBe(200);
    const rotation = await json(res);
    expect(rotation.previous).toEqual([{ kid: kidOf(old), verifies_until: expect.any(String) }]);
    expect(Date.parse(rotation.previous[0].verifies_until)).toBeLessThanOrEqual(clockA.now().getTime());
    expect((await published()).map((k) => k.kid)).toEqual([rotation.kid]);

    const here = await me(a, old);
    expect([here.status, (await json(here)).code]).toEqual([401, 'INVALID_TOKEN']);
    clockB.advance(CACHE_MS);
    expect((await me(b, old)).status).toBe(401);

    // The session itself lives on: its refresh token buys a token of the new key, good everywhere.
    const refreshed = await json(await a.fetch('/api/v1/auth/refresh', jsonPost({ refresh_token: admin.refresh_token })));
    expect(kidOf(refreshed.access_token)).toBe(rotation.kid);
    expect((await me(a, refreshed.access_token)).status).toBe(200);
    expect((await me(b, refreshed.access_token)).status).toBe(200);

    const [entry] = (await a.deps.audit.query({ action: 'auth.rotate_signing_key' }, 1)).items;
    expect(entry).toMatchObject({ resourceId: rotation.kid, details: { revoke_previous: true, revoked: [kidOf(old)] } });
  });

  it('refuses a revoke_previous that is not a boolean', async () => {
    const { access_token } = await login(a, 'admin', ADMIN_PASSWORD);
    const res = await rotate(access_token, { revoke_previous: 'yes' });
    expect(res.status).toBe(400);
    expect((await json(res)).errors[0].field).toBe('revoke_previous');
  });
});

describe('a plain rotation', () => {
  it('lets the previous key verify while its tokens live, then refuses it everywhere: a key leaked before the rotation forges nothing', async () => {
    const session = (await login(a, 'admin', ADMIN_PASSWORD)).access_token;
    const forged = await forgeWithCurrentKey(session);
    expect((await me(b, forged)).status).toBe(200);

    const res = await rotate(session);
    expect(res.status).toBe(200);
    const { kid, previous } = await json(res);
    const [retiring] = previous;
    expect(retiring.kid).toBe(kidOf(session));
    expect(Date.parse(retiring.verifies_until) - clockA.now().getTime()).toBeGreaterThan(15 * 60_000);
    expect((await published()).find((k) => k.kid === retiring.kid)?.retires_at).toBe(retiring.verifies_until);

    // Its tokens keep working until they expire, here and on the other instance.
    expect((await me(a, session)).status).toBe(200);
    clockB.advance(CACHE_MS);
    expect((await me(b, session)).status).toBe(200);

    // Past its retirement it verifies nothing, even a token that has not expired.
    clockB.advance(RETIRE_AFTER_MS);
    const refused = await me(b, forged);
    expect([refused.status, (await json(refused)).code]).toEqual([401, 'INVALID_TOKEN']);

    // The next rotation after that leaves it out of the published keys.
    clockA.advance(CACHE_MS + RETIRE_AFTER_MS);
    const next = await json(await rotate((await login(a, 'admin', ADMIN_PASSWORD)).access_token));
    expect((await published()).map((k) => k.kid)).toEqual([next.kid, kid]);
  });
});
