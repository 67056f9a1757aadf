/**
 * What a kubeconfig may cost the hub before any network: uploads over 64 KiB or with more keys
 * than a real kubeconfig are refused before parsing, and registration and onboarding (which parse
 * and connect) count in the `exec` rate tier, not the `write` one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { testClusters } from '#test/support/clusters.ts';
import { distinctKeys } from '#test/support/hostile-kubeconfigs.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { json } from '#test/support/http.ts';
import { ADMIN_PASSWORD, bearer, createUser, jsonPost, login } from '#test/support/identity.ts';

const EXEC_LIMIT = 3;
let hub: TestHub;
let admin: Record<string, string>;
const [alpha] = testClusters();

beforeAll(async () => {
  // A low exec tier and a generous write tier: a refusal can only come from the exec tier.
  hub = await startTestHub({ HUB_RATE_LIMIT_EXEC_PER_MINUTE: String(EXEC_LIMIT), HUB_RATE_LIMIT_WRITE_PER_MINUTE: '10000' });
  admin = bearer((await login(hub, 'admin', ADMIN_PASSWORD)).access_token);
});
afterAll(async () => hub?.stop());

const patch = (body: unknown, headers: Record<string, string>): RequestInit => ({ ...jsonPost(body, headers), method: 'PATCH' });

describe('kubeconfig size limits', () => {
  it('refuses a kubeconfig over 64 KiB with 400 naming the limit, before reading it', async () => {
    const padded = stringify({ apiVersion: 'v1', kind: 'Config', preferences: { padding: 'x'.repeat(70 * 1024) } });
    for (const body of [
      { name: 'too-big', kubeconfig: padded },
      { name: 'too-big', kubeconfig_base64: Buffer.from(padded).toString('base64') },
    ]) {
      const res = await hub.fetch('/api/v1/clusters', jsonPost(body, admin));
      expect(res.status).toBe(400);
      const problem = await json(res);
      expect(problem.code).toBe('VALIDATION_ERROR');
      expect(problem.detail).toMatch(/^The kubeconfig is larger than 65536 bytes \(64 KiB\), the most the hub accepts/);
    }
  });

  it('refuses 60 KiB of tiny distinct keys as more keys than a real kubeconfig has', async () => {
    const res = await hub.fetch('/api/v1/clusters', jsonPost({ name: 'many-keys', kubeconfig: distinctKeys(60 * 1024, 10_000) }, admin));
    expect(res.status).toBe(400);
    expect((await json(res)).detail).toBe(
      'The kubeconfig has more than 5000 keys and list entries, far more than a real one: keep only the context to register.',
    );
  });
});

describe('the exec rate tier', () => {
  it('counts registration, credential changes and onboarding against the exec limit, and says so in the headers', { timeout: 60_000 }, async () => {
    // A principal of its own: the exec window of this minute is still empty for it (limits count per principal).
    const adminToken = admin.Authorization!.replace('Bearer ', '');
    const { password } = await createUser(hub, adminToken, 'ops', 'admin');
    const ops = bearer((await login(hub, 'ops', password)).access_token);
    // Rate windows are whole minutes: start early in one, so the four requests share it.
    const second = new Date().getUTCSeconds();
    if (second > 40) await new Promise((resolve) => setTimeout(resolve, (61 - second) * 1000));
    const registered = await hub.fetch('/api/v1/clusters', jsonPost({ name: 'alpha', kubeconfig: alpha!.adminKubeconfig }, ops));
    expect(registered.status).toBe(201);
    expect(registered.headers.get('x-ratelimit-limit')).toBe(String(EXEC_LIMIT));
    const { id } = await json(registered);
    const changed = await hub.fetch(`/api/v1/clusters/${id}`, patch({ kubeconfig: alpha!.adminKubeconfig }, ops));
    expect(changed.status).toBe(200);
    expect(changed.headers.get('x-ratelimit-limit')).toBe(String(EXEC_LIMIT));
    // The third exec request of the minute is still allowed; the fourth, an onboarding, is not.
    const refused = await hub.fetch('/api/v1/clusters', jsonPost({ name: 'refused', kubeconfig: 'not: a kubeconfig' }, ops));
    expect(refused.status).toBe(400);
    const onboarding = await hub.fetch(`/api/v1/clusters/${id}/service-account`, jsonPost({ namespace: 'default', name: 'limited' }, ops));
    expect(onboarding.status).toBe(429);
    expect((await json(onboarding)).code).toBe('RATE_LIMIT_EXCEEDED');
    // Reads stay in their own tier.
    expect((await hub.fetch(`/api/v1/clusters/${id}`, { headers: ops })).status).toBe(200);
  });
});
