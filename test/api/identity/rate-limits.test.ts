import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { json } from '#test/support/http.ts';
import { ADMIN_PASSWORD, bearer, jsonPost, login } from '#test/support/identity.ts';

// Each test gets a hub (and table) of its own, so their counters never mix.
const LIMITS = { HUB_RATE_LIMIT_AUTH_PER_MINUTE: '4', HUB_RATE_LIMIT_READ_PER_MINUTE: '5', HUB_RATE_LIMIT_WRITE_PER_MINUTE: '3' };
let hub: TestHub;
beforeEach(async () => {
  hub = await startTestHub(LIMITS);
});
afterEach(async () => hub?.stop());

/** Limits count per minute; start a burst early in a minute so it cannot straddle two windows. */
async function freshWindow() {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 45_000) await new Promise((r) => setTimeout(r, 60_500 - intoMinute));
}

describe('rate limits (shared through the table)', () => {
  it('limits the auth endpoints per client IP and answers 429 with Retry-After', { timeout: 60_000 }, async () => {
    await freshWindow();
    const attempt = () => hub.fetch('/api/v1/auth/login', jsonPost({ username: 'nobody', password: 'wrong-password' }));
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 5; i++) {
      last = await attempt();
      statuses.push(last.status);
      expect(last.headers.get('x-ratelimit-limit')).toBe('4');
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
    expect(last!.headers.get('x-ratelimit-remaining')).toBe('0');
    const retryAfter = Number(last!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(Number(last!.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    expect(await json(last!)).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED', status: 429 });
    // Every attempt that reached the password check is audited; those the limit turned away are not
    // (anyone can send them without limit, so auditing them would let anyone write to the table).
    const { items } = await hub.deps.audit.query({ action: 'auth.login' }, 10);
    expect(items.map((e) => e.statusCode)).toEqual([401, 401, 401, 401]);
  });

  it('counts an IPv6 client by its /64: other addresses in it share the limit, another /64 does not', { timeout: 60_000 }, async () => {
    // A hub behind a trusted proxy (this test), so X-Forwarded-For gives each request its client address.
    const proxied = await startTestHub({ ...LIMITS, HUB_TRUSTED_PROXIES: '127.0.0.1/32' });
    try {
      await freshWindow();
      const from = (address: string) =>
        proxied.fetch('/api/v1/auth/login', jsonPost({ username: 'nobody', password: 'wrong-password' }, { 'X-Forwarded-For': address }));
      const statuses: number[] = [];
      for (const address of ['2001:db8:5:5::1', '2001:db8:5:5::2', '2001:db8:5:5:abcd::1', '2001:db8:5:5:ffff:ffff:ffff:fffe', '2001:db8:5:5::99']) {
        statuses.push((await from(address)).status);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 429]);
      expect((await from('2001:db8:5:6::1')).status).toBe(401);
    } finally {
      await proxied.stop();
    }
  });

  it('limits reads and changes per principal, and leaves /health alone', { timeout: 90_000 }, async () => {
    await freshWindow();
    const auth = bearer((await login(hub, 'admin', ADMIN_PASSWORD)).access_token);
    const reads: number[] = [];
    for (let i = 0; i < 6; i++) reads.push((await hub.fetch('/api/v1/auth/me', { headers: auth })).status);
    expect(reads).toEqual([200, 200, 200, 200, 200, 429]);

    const writes: number[] = [];
    for (let i = 0; i < 4; i++)
      writes.push((await hub.fetch('/api/v1/auth/api-keys', jsonPost({ name: `k${i}`, current_password: ADMIN_PASSWORD }, auth))).status);
    expect(writes).toEqual([201, 201, 201, 429]);
    const overWrite = await hub.fetch('/api/v1/auth/api-keys', jsonPost({ name: 'one-too-many', current_password: ADMIN_PASSWORD }, auth));
    expect(overWrite.status).toBe(429);
    expect(Number(overWrite.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(overWrite.headers.get('x-ratelimit-limit')).toBe('3');
    expect(overWrite.headers.get('x-ratelimit-remaining')).toBe('0');

    for (let i = 0; i < 10; i++) {
      const health = await hub.fetch('/health');
      expect(health.status).toBe(200);
      expect(health.headers.get('x-ratelimit-limit')).toBeNull();
    }
  });
});
