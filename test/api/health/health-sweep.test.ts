import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoHubEventLog } from '#shared/adapters/dynamodb/hub-event-log.ts';
import { clusterHealthChangedEvent } from '#shared/domain/health/events.ts';
import { SWEEP_PAGE_LIMIT } from '#shared/domain/health/probe.ts';
import type { QueuePoller } from '#shared/workers/queue-poller.ts';
import { jobWorker } from '#shared/workers/job-worker.ts';
import { healthSweep } from '#shared/workers/jobs/health-sweep.ts';
import { certificateValidBetween } from '#test/support/certificates.ts';
import { directClient, testClusters } from '#test/support/clusters.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { json } from '#test/support/http.ts';
import { ADMIN_PASSWORD, bearer, createUser, jsonPost, login } from '#test/support/identity.ts';
import { pollUntilIdle, TestJobQueue, testPoller } from '#test/support/job-queues.ts';
import sample from '../../../events/hub/cluster-health-changed.json' with { type: 'json' };

let hub: TestHub;
let queue: TestJobQueue;
let poller: QueuePoller;
let admin: Record<string, string>;
const [alpha, beta] = testClusters();
const run = randomBytes(3).toString('hex');
const namespace = `health-sweep-${run}`;
const direct = directClient(alpha!.adminKubeconfig);
const ids: Record<string, string> = {};

const get = async (path: string, headers = admin) => {
  const res = await hub.fetch(`/api/v1${path}`, { headers });
  return { status: res.status, body: await json(res) };
};

/**
 * Sweeps a cluster as a user would: POST /sweep answers 202 with the operation, the worker takes
 * the message from moto's SQS through the test poller (the event source mapping's stand-in), and
 * the operation tells the cluster's outcome.
 */
const sweep = async (clusterId: string): Promise<{ outcome: string; data: Record<string, unknown> }> => {
  const res = await hub.fetch(`/api/v1/clusters/${clusterId}/sweep`, { method: 'POST', headers: admin });
  expect(res.status).toBe(202);
  const location = res.headers.get('location')!;
  expect(location).toMatch(/^\/api\/v1\/operations\//);
  expect(await pollUntilIdle(poller)).toEqual({ delivered: 1, failed: 0 });
  const operation = await json(await hub.fetch(location, { headers: admin }));
  const progress = operation.clusters.find((p: { cluster_id: string }) => p.cluster_id === clusterId);
  return { outcome: progress.state, data: progress.result };
};

/** Points a cluster's stored credential somewhere else behind the hub's back, as if the cluster moved or went down. */
async function storeCredential(id: string, kubeconfigText: string) {
  const record = (await hub.deps.clusters.clusters.get(id))!;
  const credentialRef = await hub.deps.secrets.put(`${hub.deps.config.secretPrefix}clusters/${id}/kubeconfig-test-${randomUUID()}`, kubeconfigText);
  await hub.deps.clusters.clusters.update(record, { credentialRef });
}

beforeAll(async () => {
  queue = await TestJobQueue.create('health-sweep', { maxReceives: 3 });
  hub = await startTestHub({}, { jobQueues: () => [queue] });
  poller = testPoller(queue, jobWorker('health-sweep', healthSweep, hub.deps));
  admin = bearer((await login(hub, 'admin', ADMIN_PASSWORD)).access_token);
  for (const [name, cluster] of [
    [`alpha-${run}`, alpha!],
    [`beta-${run}`, beta!],
    [`gone-${run}`, alpha!],
  ] as const) {
    const res = await hub.fetch('/api/v1/clusters', jsonPost({ name, kubeconfig: cluster.adminKubeconfig }, admin));
    expect(res.status).toBe(201);
    ids[name.split('-')[0]!] = (await json(res)).id;
  }
  await direct.core.createNamespace({ body: { metadata: { name: namespace } } });
});

afterAll(async () => {
  await direct.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  await hub?.stop();
  await queue?.delete();
});

describe('the health sweep', () => {
  it('answers 404 before a cluster was ever swept', async () => {
    const res = await get(`/clusters/${ids.beta}/health`);
    expect(res.status).toBe(404);
    expect(res.body.detail).toMatch(/not been swept yet/);
  });

  it("records a reachable cluster's version, nodes, pods and the CA's expiry, and says how fresh it is", async () => {
    const result = await sweep(ids.alpha!);
    expect(result.outcome).toBe('succeeded');

    const { status, body } = await get(`/clusters/${ids.alpha}/health`);
    expect(status).toBe(200);
    const version = await directClient(alpha!.adminKubeconfig)
      .kc.makeApiClient((await import('@kubernetes/client-node')).VersionApi)
      .getCode();
    expect(body).toMatchObject({ cluster_id: ids.alpha, reachable: true, version: version.gitVersion, consecutive_failures: 0, unreadable: [] });
    expect(['healthy', 'degraded']).toContain(body.status);
    expect(body.nodes.total).toBeGreaterThan(0);
    expect(body.pods.total).toBeGreaterThanOrEqual(0);
    expect(body.latency_ms).toBeGreaterThanOrEqual(0);
    // The first sweep of a cluster is a transition from nothing.
    expect(body.transition).toMatchObject({ from: null, to: body.status });
    // The test bed's clusters are signed by a CA of their own: its end of validity is on the radar.
    expect(body.expiring.some((e: { kind: string }) => e.kind === 'cluster_ca')).toBe(true);
    expect(body.freshness.checked_at).toBe(body.checked_at);
    expect(body.freshness.age_seconds).toBeGreaterThanOrEqual(0);
  });

  it('turns a cluster that cannot be reached unhealthy with a reason, counts the failures in a row and publishes the change', async () => {
    const first = await sweep(ids.gone!);
    expect(first.outcome).toBe('succeeded');
    const before = (await get(`/clusters/${ids.gone}/health`)).body.status;

    await storeCredential(ids.gone!, alpha!.adminKubeconfig.replace(alpha!.server, 'https://127.0.0.1:1'));
    const failed = await sweep(ids.gone!);
    expect(failed).toMatchObject({ outcome: 'failed', data: { status: 'unhealthy', consecutive_failures: 1 } });
    await sweep(ids.gone!);

    const { body } = await get(`/clusters/${ids.gone}/health`);
    expect(body).toMatchObject({ status: 'unhealthy', reachable: false, consecutive_failures: 2, nodes: null, pods: null, transition: null });
    expect(body.reasons[0]).toMatchObject({ code: 'unreachable_refused' });
    expect(body.failure.reason).toBe('refused');

    const history = await get(`/clusters/${ids.gone}/health/history`);
    expect(history.status).toBe(200);
    expect(history.body.items.map((r: { status: string; consecutive_failures: number }) => [r.status, r.consecutive_failures])).toEqual([
      ['unhealthy', 2],
      ['unhealthy', 1],
      [before, 0],
    ]);
    expect(history.body.items[1].transition).toMatchObject({ from: before, to: 'unhealthy' });
    const older = await get(`/clusters/${ids.gone}/health/history?until=${encodeURIComponent(history.body.items[1].checked_at)}&limit=1`);
    expect(older.body.items.map((r: { checked_at: string }) => r.checked_at)).toEqual([history.body.items[1].checked_at]);
    expect(older.body.metadata.continue).toBeTruthy();

    // The status change went out as a hub event, in the shape its schema (and sample) declare.
    const events = await new DynamoHubEventLog(hub.deps.table).day(new Date().toISOString().slice(0, 10), 100);
    const mine = events.items.filter((e) => e.cluster_id === ids.gone);
    expect(mine).toHaveLength(1);
    expect(clusterHealthChangedEvent.parse(mine[0])).toMatchObject({ detail: { from: before, to: 'unhealthy', consecutive_failures: 1 } });
    expect(clusterHealthChangedEvent.safeParse(sample).success).toBe(true);
  });

  it('reads every kind a small page at a time, so it never holds more than a sliver of a large cluster', async () => {
    // What the sweep asks the cluster, seen at the gateway the hub hands it.
    const asked: { plural: string; limit: number | undefined }[] = [];
    const factory = hub.deps.clusters.gateways;
    hub.deps.clusters.gateways = (credentials, options) => {
      const gateway = factory(credentials, options);
      const list = gateway.list.bind(gateway);
      gateway.list = (collection, query) => {
        asked.push({ plural: collection.plural, limit: query?.limit });
        return list(collection, query);
      };
      return gateway;
    };
    try {
      expect((await sweep(ids.alpha!)).outcome).toBe('succeeded');
    } finally {
      hub.deps.clusters.gateways = factory;
    }
    expect(new Set(asked.map((a) => a.plural))).toEqual(new Set(['nodes', 'pods', 'deployments', 'statefulsets', 'daemonsets', 'secrets']));
    expect(
      asked.every((a) => a.limit === SWEEP_PAGE_LIMIT),
      JSON.stringify(asked),
    ).toBe(true);
    expect(SWEEP_PAGE_LIMIT).toBeLessThanOrEqual(100);
  });

  it('lists an expired TLS Secret in /fleet/expiring with its certificate facts only', async () => {
    const { certPem, keyPem } = certificateValidBetween(`expired-${run}.test`, new Date('2024-01-01T00:00:00Z'), new Date('2024-02-01T00:00:00Z'));
    hub.rememberSecret(keyPem, 'the TLS Secret key');
    hub.rememberSecret(Buffer.from(keyPem).toString('base64'), 'the TLS Secret key, base64');
    await direct.core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: 'expired-tls' },
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': Buffer.from(certPem).toString('base64'), 'tls.key': Buffer.from(keyPem).toString('base64') },
      },
    });
    const later = certificateValidBetween(`later-${run}.test`, new Date(Date.now() - 86_400_000), new Date(Date.now() + 200 * 86_400_000));
    hub.rememberSecret(later.keyPem, 'the far TLS Secret key');
    await direct.core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: 'far-tls' },
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': Buffer.from(later.certPem).toString('base64'), 'tls.key': Buffer.from(later.keyPem).toString('base64') },
      },
    });
    await sweep(ids.alpha!);

    const { status, body } = await get('/fleet/expiring?within_days=30&limit=500');
    expect(status).toBe(200);
    const mine = body.items.filter((i: { namespace: string | null }) => i.namespace === namespace);
    expect(mine).toEqual([
      {
        kind: 'tls_secret',
        namespace,
        name: 'expired-tls',
        subject: `expired-${run}.test`,
        not_after: '2024-02-01T00:00:00.000Z',
        cluster_id: ids.alpha,
        cluster_name: `alpha-${run}`,
        days_left: expect.any(Number),
        expired: true,
        checked_at: expect.any(String),
      },
    ]);
    expect(body.freshness.newest_checked_at).toBeTruthy();

    const health = (await get(`/clusters/${ids.alpha}/health`)).body;
    expect(health.status).toBe('degraded');
    expect(health.reasons.map((r: { code: string }) => r.code)).toContain('tls_secret_expired');
    await hub.assertNoLeaks();
  });

  it('counts the fleet by status, and hides a cluster from whoever has none on it', async () => {
    const all = await get('/fleet/health');
    expect(all.status).toBe(200);
    const byId = Object.fromEntries(all.body.items.map((i: { cluster_id: string }) => [i.cluster_id, i]));
    expect(byId[ids.gone!]).toMatchObject({ status: 'unhealthy', consecutive_failures: 2 });
    expect(byId[ids.beta!]).toMatchObject({ status: 'unknown', checked_at: null });
    expect(all.body.counts.unknown).toBe(1);
    expect(all.body.counts.unhealthy).toBe(1);
    expect(all.body.counts.healthy + all.body.counts.degraded).toBe(1);

    const firstPage = await get('/fleet/health?limit=2');
    expect(firstPage.body.items).toHaveLength(2);
    const rest = await get(`/fleet/health?limit=2&continue=${firstPage.body.metadata.continue}`);
    expect([...firstPage.body.items, ...rest.body.items].map((i: { cluster_id: string }) => i.cluster_id)).toEqual(
      all.body.items.map((i: { cluster_id: string }) => i.cluster_id),
    );
    expect((await get('/fleet/health?continue=bm90LWEtdG9rZW4')).status).toBe(400);

    const user = await createUser(hub, admin.Authorization!.slice(7), `viewer-${run}`, 'viewer');
    expect((await hub.fetch(`/api/v1/users/${user.id}/cluster-permissions`, jsonPost({ cluster_id: ids.gone, role: 'none' }, admin))).status).toBeLessThan(300);
    const viewer = bearer((await login(hub, `viewer-${run}`, user.password)).access_token);
    const seen = await get('/fleet/health', viewer);
    expect(seen.body.items.map((i: { cluster_id: string }) => i.cluster_id).sort()).toEqual([ids.alpha, ids.beta].sort());
    expect(seen.body.counts.unhealthy).toBe(0);
    expect((await get(`/clusters/${ids.gone}/health`, viewer)).status).toBe(404);
    expect((await get(`/clusters/${ids.gone}/health/history`, viewer)).status).toBe(404);
    const expiring = await get('/fleet/expiring?within_days=90&limit=500', viewer);
    expect(expiring.body.items.every((i: { cluster_id: string }) => i.cluster_id !== ids.gone)).toBe(true);
    // A viewer may read health but not start a sweep.
    expect((await hub.fetch(`/api/v1/clusters/${ids.alpha}/sweep`, { method: 'POST', headers: viewer })).status).toBe(403);
  });
});
