import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countInventory } from '#shared/api/system/inventory.ts';
import { clusterRecord } from '#test/support/clusters.ts';
import { json } from '#test/support/http.ts';
import { startTestHub, startTestHubOnOwnDatabase, type TestHub } from '#test/support/hub.ts';
import { ADMIN_PASSWORD, bearer, createUser, login } from '#test/support/identity.ts';
import pkg from '../../package.json' with { type: 'json' };

const EXPOSITION = 'text/plain; version=0.0.4; charset=utf-8';

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(async () => hub?.stop());

/** The value of one sample (`name` with its labels, as written), failing when it is missing. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (line === undefined) throw new Error(`no sample ${series} in:\n${text}`);
  return Number(line.slice(series.length + 1));
}

async function scrape(target: TestHub = hub, path = '/metrics') {
  const res = await target.fetch(path);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('GET /metrics over real HTTP', () => {
  it.each(['/metrics', '/api/v1/metrics'])('%s answers the Prometheus text format, zero clusters on a fresh table', async (path) => {
    const { status, headers, text } = await scrape(hub, path);
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe(EXPOSITION);
    expect(headers.get('x-request-id')).toBeTruthy();
    expect(sample(text, `clusterhub_build_info{version="${pkg.version}"}`)).toBe(1);
    expect(sample(text, 'clusterhub_uptime_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'clusterhub_database_up')).toBe(1);
    expect(sample(text, 'clusterhub_inventory_up')).toBe(1);
    for (const s of ['connected', 'disconnected', 'unknown']) expect(sample(text, `clusterhub_clusters{status="${s}"}`)).toBe(0);
    expect(sample(text, 'clusterhub_clusters_inactive')).toBe(0);
    expect(sample(text, 'clusterhub_clusters_circuit_open')).toBe(0);
    expect(sample(text, 'clusterhub_clusters_truncated')).toBe(0);
    expect(sample(text, 'clusterhub_users')).toBe(1); // the bootstrapped admin
    // Node's process metrics, on the hub's own registry and prefix.
    expect(text).toMatch(/^clusterhub_process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^# TYPE clusterhub_clusters gauge$/m);
  });

  it('is described in the OpenAPI document as a text/plain response (once, under /api/v1)', async () => {
    const doc = await json(await hub.fetch('/api/v1/openapi.json'));
    expect(Object.keys(doc.paths['/api/v1/metrics'].get.responses[200].content)).toEqual(['text/plain']);
    expect(doc.paths['/metrics']).toBeUndefined();
  });

  it('counts clusters by status, inactive and with an open circuit, and users, naming none', async () => {
    await scrape(hub); // counted now, before the clusters below exist
    const admin = bearer((await login(hub, 'admin', ADMIN_PASSWORD)).access_token);
    const username = `scrape-watcher-${randomUUID().slice(0, 8)}`;
    const user = await createUser(hub, admin.Authorization!.slice('Bearer '.length), username, 'viewer');
    const repo = hub.deps.clusters.clusters;
    const clusters = await Promise.all([
      repo.create(clusterRecord('metrics-alpha')),
      repo.create(clusterRecord('metrics-beta', { status: 'disconnected', active: false })),
      repo.create(clusterRecord('metrics-gamma', { status: 'unknown' })),
      repo.create(clusterRecord('metrics-delta', { status: 'disconnected' })),
    ]);
    // Three failures open the breaker of beta (defaultCircuitPolicy).
    for (let i = 0; i < 3; i++) await hub.deps.clusters.breaker.recordFailure(clusters[1]!.id, new Date());

    // Another instance of the same deployment counts afresh on its first scrape...
    const other = await startTestHub({}, { instanceOf: hub });
    const { status, text } = await scrape(other).finally(() => other.stop());
    // ...while this one, scraped moments ago, answers its recent counts (reused for INVENTORY_CACHE_MS).
    expect(sample((await scrape(hub)).text, 'clusterhub_clusters{status="connected"}')).toBe(0);
    expect(status).toBe(200);
    expect(sample(text, 'clusterhub_clusters{status="connected"}')).toBe(1);
    expect(sample(text, 'clusterhub_clusters{status="disconnected"}')).toBe(2);
    expect(sample(text, 'clusterhub_clusters{status="unknown"}')).toBe(1);
    expect(sample(text, 'clusterhub_clusters_inactive')).toBe(1);
    expect(sample(text, 'clusterhub_clusters_circuit_open')).toBe(1);
    expect(sample(text, 'clusterhub_users')).toBe(2);
    for (const secret of [
      username,
      user.id,
      user.password,
      ADMIN_PASSWORD,
      'admin',
      'metrics-',
      'example.test',
      'clusterhub/clusters',
      ...clusters.map((c) => c.id),
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('bounds the count to a number of pages and says so', async () => {
    const deps = hub.deps;
    const sources = { clusters: deps.clusters.clusters, breaker: deps.clusters.breaker, users: deps.identity.users, now: new Date() };
    const bounded = await countInventory(sources, { pageSize: 1, maxPages: 2, concurrency: 2 });
    expect(bounded).toMatchObject({ clustersTruncated: true, usersTruncated: false, users: 2 });
    expect(Object.values(bounded.clustersByStatus).reduce((a, b) => a + b)).toBe(2);
    const whole = await countInventory(sources, { pageSize: 2, maxPages: 10, concurrency: 3 });
    expect(whole).toMatchObject({ clustersTruncated: false, clustersInactive: 1, clustersCircuitOpen: 1 });
    expect(Object.values(whole.clustersByStatus).reduce((a, b) => a + b)).toBe(4);
  });
});

describe('rate limits', () => {
  it('never limits /metrics, like /health, while reads are limited', async () => {
    const own = await startTestHub({ HUB_RATE_LIMIT_READ_PER_MINUTE: '2' });
    try {
      for (let i = 0; i < 8; i++) {
        const res = await own.fetch(i % 2 ? '/metrics' : '/api/v1/metrics');
        expect(res.status).toBe(200);
        expect(res.headers.get('x-ratelimit-limit')).toBeNull();
        await res.arrayBuffer();
      }
      // The same hub does limit an authenticated read.
      const admin = bearer((await login(own, 'admin', ADMIN_PASSWORD)).access_token);
      const reads = [];
      for (let i = 0; i < 3; i++) reads.push((await own.fetch('/api/v1/users', { headers: admin })).status);
      expect(reads).toEqual([200, 200, 429]);
    } finally {
      await own.stop();
    }
  });
});

describe('metrics when the table is unreachable', () => {
  // It starts a DynamoDB Local of its own (a JVM), which a busy machine takes long to start.
  it('still answers, with database_up and inventory_up at 0', { timeout: 180_000 }, async () => {
    const { hub: own, database: db } = await startTestHubOnOwnDatabase();
    try {
      const up = await scrape(own);
      expect(sample(up.text, 'clusterhub_database_up')).toBe(1);
      await db.stop();
      const down = await scrape(own);
      expect(down.status).toBe(200);
      expect(down.headers.get('content-type')).toBe(EXPOSITION);
      expect(sample(down.text, 'clusterhub_database_up')).toBe(0);
      expect(sample(down.text, 'clusterhub_inventory_up')).toBe(0);
      expect(sample(down.text, `clusterhub_build_info{version="${pkg.version}"}`)).toBe(1);
    } finally {
      await own.stop();
      await db.stop();
    }
  });
});
