import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directClient, testClusters } from '#test/support/clusters.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { ADMIN_PASSWORD, bearer, createUser, jsonPost, login } from '#test/support/identity.ts';
import { json } from '#test/support/http.ts';

/**
 * The events views of issue 15 item 3 over real HTTP against a test bed cluster: a pod the
 * scheduler cannot place (its FailedScheduling warning is the scheduler's, through
 * events.k8s.io/v1) and a core event the test writes through the API server about the same pod.
 */
let hub: TestHub;
let viewer: Record<string, string>;
let clusterId: string;
const [alpha] = testClusters();
const direct = directClient(alpha!.adminKubeconfig);
const namespace = `events-test-${randomBytes(3).toString('hex')}`;
const pod = 'unplaceable';
const base = () => `/api/v1/clusters/${clusterId}`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Event = any;

async function get(path: string) {
  const res = await hub.fetch(`${base()}${path}`, { headers: viewer });
  return { status: res.status, body: await json(res) };
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The reasons of the events, each once (the scheduler may report a pod it cannot place more than once, as new events). */
const reasons = (items: Event[]) => [...new Set(items.map((e) => e.reason))].sort();

beforeAll(async () => {
  hub = await startTestHub();
  const adminToken = (await login(hub, 'admin', ADMIN_PASSWORD)).access_token;
  const { password } = await createUser(hub, adminToken, 'watcher', 'viewer');
  viewer = bearer((await login(hub, 'watcher', password)).access_token);
  const registered = await hub.fetch('/api/v1/clusters', jsonPost({ name: 'alpha', kubeconfig: alpha!.adminKubeconfig }, bearer(adminToken)));
  expect(registered.status).toBe(201);
  clusterId = (await json(registered)).id;

  await direct.core.createNamespace({ body: { metadata: { name: namespace } } });
  // No node carries this label: the scheduler reports FailedScheduling about the pod.
  const created = await direct.core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: pod },
      spec: { nodeSelector: { 'events-test/nowhere': 'true' }, containers: [{ name: 'app', image: 'registry.example.test/app:1' }] },
    },
  });
  // A core v1 event about the same pod, as an older controller writes them.
  const now = new Date();
  await direct.core.createNamespacedEvent({
    namespace,
    body: {
      metadata: { name: `${pod}.test-note` },
      involvedObject: { kind: 'Pod', apiVersion: 'v1', namespace, name: pod, uid: created.metadata!.uid },
      reason: 'TestNote',
      message: 'written by the events test',
      type: 'Normal',
      count: 3,
      firstTimestamp: new Date(now.getTime() - 60_000),
      lastTimestamp: new Date(now.getTime() - 30_000),
      source: { component: 'events-test' },
    },
  });
  // Three events about an object no controller touches, a minute apart: a list that does not move while it is paged.
  for (const i of [1, 2, 3]) {
    await direct.core.createNamespacedEvent({
      namespace,
      body: {
        metadata: { name: `paging.${i}` },
        involvedObject: { kind: 'ConfigMap', apiVersion: 'v1', namespace, name: 'paging' },
        reason: `Step${i}`,
        message: `step ${i}`,
        type: 'Normal',
        firstTimestamp: new Date(now.getTime() - (10 - i) * 60_000),
        lastTimestamp: new Date(now.getTime() - (10 - i) * 60_000),
        source: { component: 'events-test' },
      },
    });
  }
});

afterAll(async () => {
  await direct.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  await hub?.stop();
});

describe('GET /clusters/{id}/events', () => {
  it("answers the scheduler's warning and the core event, each once, merged from both APIs, newest first", async () => {
    const { body } = await eventually(
      () => get(`/events?namespace=${namespace}`),
      (r) => r.status === 200 && r.body.items.some((e: Event) => e.reason === 'FailedScheduling'),
      'FailedScheduling',
    );
    expect(body.metadata.sources).toEqual({ 'events.k8s.io/v1': 'read', v1: 'read' });
    expect(body.metadata.truncated).toBe(false);
    // Each event once, though both APIs answered it.
    expect(new Set(body.items.map((e: Event) => e.uid)).size).toBe(body.items.length);
    const warning = body.items.find((e: Event) => e.reason === 'FailedScheduling');
    expect(warning).toMatchObject({
      type: 'Warning',
      namespace,
      object: { kind: 'Pod', name: pod, namespace },
      reporting_component: 'default-scheduler',
      api_versions: ['events.k8s.io/v1', 'v1'],
    });
    expect(warning.message).toMatch(/node\(s\) didn't match Pod's node affinity\/selector/);
    const note = body.items.find((e: Event) => e.reason === 'TestNote');
    expect(note).toMatchObject({ type: 'Normal', message: 'written by the events test', count: 3, reporting_component: 'events-test' });
    expect(note.api_versions.sort()).toEqual(['events.k8s.io/v1', 'v1']);
    // The core event's last sighting is 30 s ago; the scheduler's is more recent, so it comes first.
    const order = body.items.map((e: Event) => e.reason);
    expect(order.indexOf('FailedScheduling')).toBeLessThan(order.indexOf('TestNote'));
    const seen = body.items.map((e: Event) => e.last_seen);
    expect([...seen].sort().reverse()).toEqual(seen);
  });

  it('filters by type, reason and involved object on the cluster', async () => {
    const warnings = await get(`/events?namespace=${namespace}&type=Warning`);
    expect(warnings.status).toBe(200);
    expect(reasons(warnings.body.items)).toEqual(['FailedScheduling']);

    const byReason = await get(`/events?reason=TestNote&namespace=${namespace}`);
    expect(reasons(byReason.body.items)).toEqual(['TestNote']);

    // A plural or short name resolves to the Kind the events name.
    for (const kind of ['Pod', 'pods', 'po']) {
      const about = await get(`/events?involvedObject=${kind}/${namespace}/${pod}`);
      expect(about.status).toBe(200);
      expect(reasons(about.body.items)).toEqual(['FailedScheduling', 'TestNote']);
    }
    const other = await get(`/events?involvedObject=Pod/${namespace}/someone-else`);
    expect(other.body.items).toEqual([]);
  });

  it('pages with a continue token bound to the filters, in the order of the whole list', async () => {
    const about = `involvedObject=ConfigMap/${namespace}/paging`;
    const whole = await get(`/events?${about}`);
    expect(whole.body.items.map((e: Event) => e.reason)).toEqual(['Step3', 'Step2', 'Step1']);
    expect(whole.body.metadata.total).toBe(3);
    const uids: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await get(`/events?${about}&limit=1${token ? `&continue=${token}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items).toHaveLength(1);
      uids.push(page.body.items[0].uid);
      token = page.body.metadata.continue;
      pages++;
    } while (token && pages < 50);
    expect(uids).toEqual(whole.body.items.map((e: Event) => e.uid));
    expect(pages).toBe(3);
    // A token with another filter is refused, not reinterpreted.
    const first = await get(`/events?${about}&limit=1`);
    const mixed = await get(`/events?${about}&type=Warning&limit=1&continue=${first.body.metadata.continue}`);
    expect(mixed.status).toBe(400);
  });

  it('refuses a malformed involvedObject and an unknown kind', async () => {
    expect((await get(`/events?involvedObject=Pod`)).status).toBe(400);
    expect((await get(`/events?involvedObject=Pod/${namespace}/x/y`)).status).toBe(400);
    const unknown = await get(`/events?involvedObject=Gizmo/${namespace}/x`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('UNKNOWN_KIND');
  });
});

describe('GET /clusters/{id}/resources/{kind}/{namespace}/{name}/events', () => {
  it("answers one object's events, as kubectl describe lists them", async () => {
    const { status, body } = await get(`/resources/pods/${namespace}/${pod}/events`);
    expect(status).toBe(200);
    expect(reasons(body.items)).toEqual(['FailedScheduling', 'TestNote']);
    expect(body.items.every((e: Event) => e.object.name === pod && e.object.kind === 'Pod')).toBe(true);
    // A namespace's events are not another namespace's.
    const elsewhere = await get(`/resources/pods/default/${pod}/events`);
    expect(elsewhere.body.items).toEqual([]);
  });
});
