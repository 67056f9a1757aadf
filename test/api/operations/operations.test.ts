import { createRoute, z } from '@hono/zod-openapi';
import { SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqsQueue } from '#shared/adapters/sqs/sqs-queue.ts';
import { DynamoClusterRepository } from '#shared/adapters/dynamodb/clusters/cluster-repository.ts';
import { operationAccepted, idempotencyKeyHeader, startOperation } from '#shared/http/start-operation.ts';
import { createRouter, type EndpointGroup } from '#shared/http/app.ts';
import { authenticatedSecurity, guards } from '#shared/http/guard.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import type { JobQueue } from '#shared/workers/background.ts';
import { jobWorker } from '#shared/workers/job-worker.ts';
import { clusterRecord } from '../../support/clusters.ts';
import { json } from '../../support/http.ts';
import { startTestHub, type TestHub } from '../../support/hub.ts';
import { ADMIN_PASSWORD, bearer, createUser, login } from '../../support/identity.ts';
import { pollUntilIdle, testPoller, TestJobQueue } from '../../support/job-queues.ts';

/**
 * Operations over real HTTP: a route that starts work answers 202 with a Location to poll, the
 * operation moves from queued to its outcome as the worker (fed by the test poller on moto's SQS)
 * reports each cluster, lists filter by kind and state, and an Idempotency-Key answers the same
 * operation again. The route is a test-only one that starts a trivial job on the clusters it is given.
 */

const KIND = 'test-op';

/** A test-only group with the one route shape every work-starting route has. */
function startGroup(deps: Dependencies): EndpointGroup {
  const api = createRouter();
  api.openapi(
    createRoute({
      method: 'post',
      path: '/test-operations',
      security: authenticatedSecurity,
      middleware: guards(deps)({ access: 'operator', action: 'test.start' }),
      request: {
        headers: idempotencyKeyHeader,
        body: { content: { 'application/json': { schema: z.object({ cluster_ids: z.array(z.string()), job: z.string().optional() }) } }, required: true },
      },
      responses: { ...operationAccepted },
    }),
    async (c) => startOperation(c, deps, { job: c.req.valid('json').job ?? KIND, clusterIds: c.req.valid('json').cluster_ids }) as never,
  );
  return { name: 'test-operations', api };
}

/**
 * A job queue whose SQS queue can be made unreachable: while `down`, its messages go to a queue URL
 * moto does not have, so the send fails as it does when SQS cannot be reached or refuses the call.
 */
class QueueThatGoesDown implements JobQueue {
  down = true;
  readonly kind: string;
  private readonly missing: SqsQueue;
  constructor(private readonly inner: TestJobQueue) {
    this.kind = inner.kind;
    this.missing = new SqsQueue(new SQSClient({}), `${inner.urls.queueUrl}-gone`);
  }
  get work() {
    return this.down ? this.missing : this.inner.work;
  }
  get deadLetters() {
    return this.inner.deadLetters;
  }
  stats = () => this.inner.stats();
  pause = () => this.inner.pause();
  resume = () => this.inner.resume();
}

let hub: TestHub;
let queue: TestJobQueue;
let flaky: QueueThatGoesDown;
let admin: string;
const clusters: string[] = [];

beforeAll(async () => {
  queue = await TestJobQueue.create(KIND, { maxReceives: 2 });
  flaky = new QueueThatGoesDown(await TestJobQueue.create(`${KIND}-flaky`, { maxReceives: 2 }));
  hub = await startTestHub({}, { jobQueues: () => [queue, flaky], extraGroups: (deps) => [startGroup(deps)] });
  admin = (await login(hub, 'admin', ADMIN_PASSWORD)).access_token;
  const repo = new DynamoClusterRepository(hub.deps.table);
  for (const name of ['op-a', 'op-b']) clusters.push((await repo.create(clusterRecord(`${name}-${randomUUID().slice(0, 6)}`))).id);
});

afterAll(async () => {
  await hub?.stop();
  await Promise.all([queue?.delete(), flaky?.['inner'].delete()]);
});

const start = (token: string, clusterIds: string[], headers: Record<string, string> = {}, job?: string) =>
  hub.fetch('/api/v1/test-operations', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...bearer(token), ...headers },
    body: JSON.stringify({ cluster_ids: clusterIds, job }),
  });

/** The worker of the test job: one cluster fails (it cannot be reached), the others succeed. */
const worker = () =>
  jobWorker(
    KIND,
    async (m) =>
      m.cluster_id === clusters[1] ? { outcome: 'failed', detail: 'The cluster could not be reached.' } : { outcome: 'succeeded', data: { nodes: 3 } },
    hub.deps,
    { deadLetters: queue.deadLetters },
  );

describe('operations', () => {
  it('answer 202 with a Location, show queued until the worker runs, then each cluster’s result and the overall state', async () => {
    const res = await start(admin, clusters);
    expect(res.status).toBe(202);
    const accepted = await json(res);
    expect(res.headers.get('location')).toBe(`/api/v1/operations/${accepted.id}`);
    expect(accepted).toMatchObject({ kind: KIND, state: 'queued', progress: { total: 2, queued: 2 } });

    const before = await json(await hub.fetch(res.headers.get('location')!, { headers: bearer(admin) }));
    expect(before.state).toBe('queued');

    expect(await pollUntilIdle(testPoller(queue, worker()))).toEqual({ delivered: 2, failed: 0 });
    const after = await json(await hub.fetch(res.headers.get('location')!, { headers: bearer(admin) }));
    expect(after).toMatchObject({ id: accepted.id, state: 'partially_failed', progress: { total: 2, queued: 0, running: 0, succeeded: 1, failed: 1 } });
    expect(after.clusters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ cluster_id: clusters[0], state: 'succeeded', result: { nodes: 3 } }),
        expect.objectContaining({ cluster_id: clusters[1], state: 'failed', detail: 'The cluster could not be reached.' }),
      ]),
    );

    const mine = await json(await hub.fetch(`/api/v1/operations?kind=${KIND}&state=partially_failed`, { headers: bearer(admin) }));
    expect(mine.items.map((o: { id: string }) => o.id)).toContain(accepted.id);
    const none = await json(await hub.fetch(`/api/v1/operations?kind=${KIND}&state=queued`, { headers: bearer(admin) }));
    expect(none.items.map((o: { id: string }) => o.id)).not.toContain(accepted.id);
  });

  it('succeed when every cluster did, and answer the same operation for the same Idempotency-Key without queuing again', async () => {
    const key = `key-${randomUUID()}`;
    const first = await start(admin, [clusters[0]!], { 'Idempotency-Key': key });
    const again = await start(admin, [clusters[0]!], { 'Idempotency-Key': key });
    expect([first.status, again.status]).toEqual([202, 202]);
    const [a, b] = [await json(first), await json(again)];
    expect(b.id).toBe(a.id);
    expect(await pollUntilIdle(testPoller(queue, worker()))).toEqual({ delivered: 1, failed: 0 });
    expect((await json(await hub.fetch(`/api/v1/operations/${a.id}`, { headers: bearer(admin) }))).state).toBe('succeeded');
    // The key names that work: other work under it is refused, not silently answered with the old operation.
    const other = await start(admin, clusters, { 'Idempotency-Key': key });
    expect(other.status).toBe(409);
    expect((await json(other)).code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('answer 503 QUEUE_UNAVAILABLE when the queue does not take the work, fail the operation, and free the Idempotency-Key so a retry sends', async () => {
    const key = `key-${randomUUID()}`;
    flaky.down = true;
    const refused = await start(admin, [clusters[0]!], { 'Idempotency-Key': key }, flaky.kind);
    expect(refused.status).toBe(503);
    const problem = await json(refused);
    expect(problem).toMatchObject({ status: 503, code: 'QUEUE_UNAVAILABLE' });
    // The operation it stored says it never ran, rather than staying queued for ever.
    const failed = await json(await hub.fetch(`/api/v1/operations/${problem.operation_id}`, { headers: bearer(admin) }));
    expect(failed).toMatchObject({ state: 'failed', progress: { total: 1, queued: 0, failed: 1 } });
    expect(failed.clusters[0].detail).toMatch(/could not be queued/);

    flaky.down = false;
    const retried = await start(admin, [clusters[0]!], { 'Idempotency-Key': key }, flaky.kind);
    expect(retried.status).toBe(202);
    const operation = await json(retried);
    expect(operation.id).not.toBe(problem.operation_id);
    expect(operation.state).toBe('queued');
    // This time the work went out: one message on the queue.
    const [sent] = await flaky.work.receive({ max: 10, waitSeconds: 1 });
    expect(JSON.parse(sent!.body)).toMatchObject({ operation_id: operation.id, cluster_id: clusters[0], job: flaky.kind });
    await flaky.work.ack(sent!.receipt);
    // And the key now names the operation that was sent.
    expect((await json(await start(admin, [clusters[0]!], { 'Idempotency-Key': key }, flaky.kind))).id).toBe(operation.id);
  });

  it('are shown to whoever started them and to admins; another user gets 404 and an empty list', async () => {
    const res = await start(admin, [clusters[0]!]);
    const { id } = await json(res);
    const user = await createUser(hub, admin, `op-viewer-${randomUUID().slice(0, 6)}`, 'operator');
    const token = (await login(hub, (await json(await hub.fetch(`/api/v1/users/${user.id}`, { headers: bearer(admin) }))).username, user.password))
      .access_token;
    expect((await hub.fetch(`/api/v1/operations/${id}`, { headers: bearer(token) })).status).toBe(404);
    expect((await json(await hub.fetch('/api/v1/operations', { headers: bearer(token) }))).items).toEqual([]);
    const own = await start(token, [clusters[0]!]);
    expect(own.status).toBe(202);
    expect((await json(await hub.fetch('/api/v1/operations', { headers: bearer(token) }))).items.map((o: { id: string }) => o.id)).toEqual([
      (await json(own)).id,
    ]);
    await pollUntilIdle(testPoller(queue, worker()));
  });

  it('refuse a malformed Idempotency-Key and an unknown operation', async () => {
    const bad = await start(admin, [clusters[0]!], { 'Idempotency-Key': 'has spaces in it' });
    expect(bad.status).toBe(400);
    expect((await hub.fetch(`/api/v1/operations/${randomUUID()}`, { headers: bearer(admin) })).status).toBe(404);
    expect((await hub.fetch('/api/v1/operations?state=bogus', { headers: bearer(admin) })).status).toBe(400);
  });

  it('leave the queue admin to admins', async () => {
    const user = await createUser(hub, admin, `op-op-${randomUUID().slice(0, 6)}`, 'operator');
    const name = (await json(await hub.fetch(`/api/v1/users/${user.id}`, { headers: bearer(admin) }))).username;
    const token = (await login(hub, name, user.password)).access_token;
    expect((await hub.fetch('/api/v1/queues', { headers: bearer(token) })).status).toBe(403);
    expect((await hub.fetch(`/api/v1/queues/${KIND}/pause`, { method: 'POST', headers: bearer(token) })).status).toBe(403);
    expect((await hub.fetch('/api/v1/queues/no-such-queue/pause', { method: 'POST', headers: bearer(admin) })).status).toBe(404);
  });
});
