import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoClusterRepository } from '#shared/adapters/dynamodb/clusters/cluster-repository.ts';
import { AppError } from '#shared/domain/errors.ts';
import { operationState, type Operation } from '#shared/domain/operations/operation.ts';
import type { JobHandler } from '#shared/workers/job-handler.ts';
import { jobWorker } from '#shared/workers/job-worker.ts';
import { jobMessage, scheduledEvent, type JobMessage } from '#shared/workers/messages.ts';
import { clusterRecord } from '../support/clusters.ts';
import { json } from '../support/http.ts';
import { startTestHub, type TestHub } from '../support/hub.ts';
import { pollUntilIdle, testPoller, TestJobQueue } from '../support/job-queues.ts';

/**
 * The backbone on real parts: the planner and the workers on moto's SQS, their records in DynamoDB
 * Local, fed the event shapes AWS sends (events/scheduler/, events/sqs/) and a test poller that
 * does what the event source mapping does. A trivial job kind stands in for the real jobs.
 */

const sample = <T>(path: string): T => JSON.parse(readFileSync(new URL(`../../events/${path}`, import.meta.url), 'utf8')) as T;

const KIND = 'test-echo';
let hub: TestHub;
let echo: TestJobQueue;
let sweepQueue: TestJobQueue;
const clusterIds: { active: string[]; inactive: string } = { active: [], inactive: '' };

beforeAll(async () => {
  echo = await TestJobQueue.create(KIND, { maxReceives: 2 });
  sweepQueue = await TestJobQueue.create('health-sweep', { maxReceives: 2 });
  hub = await startTestHub({}, { jobQueues: () => [echo, sweepQueue] });
  const clusters = new DynamoClusterRepository(hub.deps.table);
  for (const name of ['bg-one', 'bg-two']) clusterIds.active.push((await clusters.create(clusterRecord(`${name}-${randomUUID().slice(0, 6)}`))).id);
  clusterIds.inactive = (await clusters.create(clusterRecord(`bg-off-${randomUUID().slice(0, 6)}`, { active: false }))).id;
});

afterAll(async () => {
  await hub?.stop();
  await Promise.all([echo?.delete(), sweepQueue?.delete()]);
});

/** A message of the test job, as the planner or an operation would send it. */
const message = (clusterId: string, changes: Partial<JobMessage> = {}): JobMessage => ({
  version: 1,
  job: KIND,
  run_id: `run-${randomUUID()}`,
  cluster_id: clusterId,
  trigger: 'schedule',
  planned_at: new Date().toISOString(),
  ...changes,
});

/** How many times the test job wrote its effect for this run and cluster. */
async function writesOf(m: JobMessage): Promise<number> {
  const item = await hub.deps.table.get<{ writes: number } & { pk: string; sk: string; entity: string; version: number }>(
    { pk: `TESTECHO#${m.run_id}`, sk: m.cluster_id },
    true,
  );
  return item?.writes ?? 0;
}

/** The test job: one counted write per call, and the failure a test asks for. */
const echoJob =
  (fail: (m: JobMessage) => Error | undefined = () => undefined): JobHandler =>
  async (m, deps) => {
    const error = fail(m);
    if (error) throw error;
    await deps.table.doc.send(
      new UpdateCommand({
        TableName: deps.table.name,
        Key: { pk: `TESTECHO#${m.run_id}`, sk: m.cluster_id },
        UpdateExpression: 'ADD writes :one',
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
    return { outcome: 'succeeded', data: { echoed: m.cluster_id } };
  };

describe('the event samples', () => {
  it('parse with the schemas the planner and the workers use', () => {
    expect(scheduledEvent.parse(sample('scheduler/health-sweep.json')).job).toBe('health-sweep');
    expect(scheduledEvent.parse(sample('scheduler/inventory.json')).job).toBe('inventory');
    for (const file of ['sqs/health-sweep-batch.json', 'sqs/inventory-operation.json']) {
      for (const record of sample<SQSEvent>(file).Records) expect(jobMessage.safeParse(JSON.parse(record.body)).success).toBe(true);
    }
  });
});

describe('the planner Lambda', () => {
  it('invoked with the Scheduler’s event, sends one message per active cluster to the job’s queue, and skips an inactive one', async () => {
    process.env.HUB_TABLE_NAME = hub.tableName;
    process.env.HUB_QUEUE_HEALTH_SWEEP_URL = sweepQueue.urls.queueUrl;
    process.env.HUB_QUEUE_HEALTH_SWEEP_DLQ_URL = sweepQueue.urls.deadLetterUrl;
    const { handler } = (await import('#functions/planner/handler.ts')) as { handler: (event: unknown) => Promise<{ clusters: number; run_id: string }> };
    const event = sample<{ scheduled_at: string }>('scheduler/health-sweep.json');
    const planned = await handler(event);
    expect(planned).toMatchObject({ clusters: 2, run_id: `health-sweep@${new Date(event.scheduled_at).toISOString()}` });

    const received: JobMessage[] = [];
    for (let i = 0; i < 5 && received.length < 2; i++) {
      for (const m of await sweepQueue.work.receive({ max: 10, waitSeconds: 1 })) {
        received.push(jobMessage.parse(JSON.parse(m.body)));
        await sweepQueue.work.ack(m.receipt);
      }
    }
    expect(received.map((m) => m.cluster_id).sort()).toEqual([...clusterIds.active].sort());
    expect(new Set(received.map((m) => m.run_id))).toEqual(new Set([planned.run_id]));
    expect(received.every((m) => m.job === 'health-sweep' && m.trigger === 'schedule')).toBe(true);
  });

  it('refuses an event that is not a schedule’s, sending nothing', async () => {
    const { handler } = (await import('#functions/planner/handler.ts')) as { handler: (event: unknown) => Promise<unknown> };
    await expect(handler({ job: 'health-sweep' })).rejects.toThrow(/not a schedule/);
    expect((await sweepQueue.stats()).depth).toBe(0);
  });
});

describe('a worker fed by the test poller', () => {
  it('answers a real SQS event with the records that failed, and only those', async () => {
    const worker = jobWorker(
      KIND,
      echoJob((m) => (m.cluster_id === 'bad' ? new Error('a bug') : undefined)),
      hub.deps,
      { deadLetters: echo.deadLetters },
    );
    const batch = sample<SQSEvent>('sqs/health-sweep-batch.json');
    const good = message(clusterIds.active[0]!);
    const event: SQSEvent = {
      Records: [
        { ...batch.Records[0]!, messageId: 'm-good', body: JSON.stringify(good) },
        { ...batch.Records[1]!, messageId: 'm-bad', body: JSON.stringify(message('bad')) },
      ],
    };
    const response: SQSBatchResponse = await worker(event, { awsRequestId: 'r1', getRemainingTimeInMillis: () => 60_000 } as Context);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-bad' }]);
    expect(await writesOf(good)).toBe(1);
  });

  it('has the effect of a message delivered twice once', async () => {
    const worker = jobWorker(KIND, echoJob(), hub.deps, { deadLetters: echo.deadLetters });
    const twice = message(clusterIds.active[1]!);
    await echo.work.sendBatch([JSON.stringify(twice), JSON.stringify(twice)]);
    // Both copies may come in one batch: the one that finds the other in progress is retried, then answers its result.
    await pollUntilIdle(testPoller(echo, worker));
    expect(await writesOf(twice)).toBe(1);
    expect(await echo.stats()).toEqual({ depth: 0, inFlight: 0, deadLettered: 0, paused: false });
    // Delivered again later (a redrive, a replayed batch): still once.
    await echo.work.send(JSON.stringify(twice));
    expect(await pollUntilIdle(testPoller(echo, worker))).toEqual({ delivered: 1, failed: 0 });
    expect(await writesOf(twice)).toBe(1);
    // The record that made it so: in the single table, expiring by its TTL attribute.
    const records = await hub.deps.table.query({ partition: 'IDEMPOTENCY', limit: 500 });
    const completed = records.items.filter((i) => i.status === 'COMPLETED' && String(i.sk).startsWith(`job:${KIND}#`));
    expect(completed.length).toBeGreaterThan(0);
    expect(completed.every((i) => typeof i.ttl === 'number' && i.ttl > Date.now() / 1000)).toBe(true);
  });

  it('lands a poison message in the dead-letter queue after the configured receives, and the redrive brings it back', async () => {
    let fixed = false;
    const worker = jobWorker(
      KIND,
      echoJob((m) => (!fixed && m.cluster_id === 'poison' ? new Error('a bug in the job') : undefined)),
      hub.deps,
      {
        deadLetters: echo.deadLetters,
      },
    );
    const poison = message('poison');
    await echo.work.send(JSON.stringify(poison));
    const polled = await pollUntilIdle(testPoller(echo, worker));
    // maxReceives 2: two deliveries fail, the third receive finds it moved.
    expect(polled).toEqual({ delivered: 2, failed: 2 });
    expect(await echo.stats()).toMatchObject({ depth: 0, deadLettered: 1 });
    expect(await writesOf(poison)).toBe(0);

    const admin = await adminToken();
    const res = await hub.fetch(`/api/v1/queues/${KIND}/redrive`, { method: 'POST', headers: { Authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ name: KIND, redriven: 1, more: false });
    fixed = true;
    expect(await pollUntilIdle(testPoller(echo, worker))).toEqual({ delivered: 1, failed: 0 });
    expect(await writesOf(poison)).toBe(1);
    expect((await echo.stats()).deadLettered).toBe(0);
  });

  it('fails the operation’s cluster when a message fails on its last delivery, before it goes to the dead letters', async () => {
    const worker = jobWorker(
      KIND,
      echoJob((m) => (m.cluster_id === clusterIds.active[0] ? new Error('a bug in the job') : undefined)),
      hub.deps,
      { deadLetters: echo.deadLetters },
    );
    const op = await startedOperation([clusterIds.active[0]!, clusterIds.active[1]!]);
    await echo.work.sendBatch(Object.keys(op.clusters).map((c) => JSON.stringify(message(c, { run_id: op.id, trigger: 'operation', operation_id: op.id }))));
    // maxReceives 2 (the queue's, read by the worker): the failing one's second delivery is its last.
    expect(await pollUntilIdle(testPoller(echo, worker))).toEqual({ delivered: 3, failed: 2 });
    expect(await echo.stats()).toMatchObject({ depth: 0, deadLettered: 1 });
    const after = (await hub.deps.background.operations.get(op.id))!;
    expect(after.clusters[clusterIds.active[0]!]).toMatchObject({
      state: 'failed',
      detail: expect.stringMatching(/^Gave up after 2 deliveries: a bug in the job/),
    });
    expect(after.clusters[clusterIds.active[1]!]).toMatchObject({ state: 'succeeded' });
    expect(operationState(after)).toBe('partially_failed');
    await echo.deadLetters.receive({ max: 10, waitSeconds: 0 }).then((ms) => Promise.all(ms.map((m) => echo.deadLetters.ack(m.receipt))));
  });

  it('fails a run that would outlast its invocation as a record, and the operation with it on the last delivery', async () => {
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    const hanging: JobHandler = async () => {
      await stuck;
      throw new Error('released after the test');
    };
    const worker = jobWorker(KIND, hanging, hub.deps, { deadLetters: echo.deadLetters });
    const op = await startedOperation([clusterIds.active[1]!]);
    await echo.work.send(JSON.stringify(message(clusterIds.active[1]!, { run_id: op.id, trigger: 'operation', operation_id: op.id })));
    // An invocation of 2 s, as a Lambda timeout would end it: the worker answers the record as failed before that.
    const polled = await pollUntilIdle(testPoller(echo, worker, undefined, { timeoutSeconds: 2 }));
    release();
    expect(polled).toEqual({ delivered: 2, failed: 2 });
    expect((await echo.stats()).deadLettered).toBe(1);
    const after = (await hub.deps.background.operations.get(op.id))!;
    expect(after.clusters[clusterIds.active[1]!]).toMatchObject({ state: 'failed', detail: expect.stringMatching(/^Gave up after 2 deliveries/) });
    expect(operationState(after)).toBe('failed');
    await echo.deadLetters.receive({ max: 10, waitSeconds: 0 }).then((ms) => Promise.all(ms.map((m) => echo.deadLetters.ack(m.receipt))));
  });

  it('dead-letters at once what cannot succeed (a malformed message, a refused credential), and drops what is gone', async () => {
    const worker = jobWorker(
      KIND,
      echoJob((m) =>
        m.cluster_id === 'refused'
          ? new AppError('unprocessable', 'CLUSTER_CREDENTIAL_REJECTED', 'The cluster refused the credential.')
          : m.cluster_id === 'gone'
            ? new AppError('not_found', 'NOT_FOUND', 'No such cluster.')
            : undefined,
      ),
      hub.deps,
      { deadLetters: echo.deadLetters },
    );
    await echo.work.sendBatch([
      '{not json',
      JSON.stringify({ ...message('x'), job: 'another-job' }),
      JSON.stringify(message('refused')),
      JSON.stringify(message('gone')),
    ]);
    expect(await pollUntilIdle(testPoller(echo, worker))).toEqual({ delivered: 4, failed: 0 });
    expect((await echo.stats()).deadLettered).toBe(3);

    const admin = await adminToken();
    const dropped = await hub.fetch(`/api/v1/queues/${KIND}/failed`, { method: 'DELETE', headers: { Authorization: `Bearer ${admin}` } });
    expect(await dropped.json()).toEqual({ name: KIND, dropped: 3, more: false });
    expect((await echo.stats()).deadLettered).toBe(0);
    const audit = await json(await hub.fetch('/api/v1/audit-log?action=queue.drop_failed', { headers: { Authorization: `Bearer ${admin}` } }));
    expect(audit.items[0]).toMatchObject({ action: 'queue.drop_failed', resource_id: KIND, status_code: 200, details: { dropped: 3 } });
  });

  it('holds messages while the queue is paused and processes them once it is resumed', async () => {
    const admin = await adminToken();
    const worker = jobWorker(KIND, echoJob(), hub.deps, { deadLetters: echo.deadLetters });
    const poller = testPoller(echo, worker);
    const paused = await hub.fetch(`/api/v1/queues/${KIND}/pause`, { method: 'POST', headers: { Authorization: `Bearer ${admin}` } });
    expect(await paused.json()).toMatchObject({ name: KIND, paused: true });
    const held = [message(clusterIds.active[0]!), message(clusterIds.active[1]!)];
    await echo.work.sendBatch(held.map((m) => JSON.stringify(m)));
    expect(await pollUntilIdle(poller)).toEqual({ delivered: 0, failed: 0 });
    const queues = await json(await hub.fetch('/api/v1/queues', { headers: { Authorization: `Bearer ${admin}` } }));
    expect(queues.items.find((q: { name: string }) => q.name === KIND)).toEqual({ name: KIND, depth: 2, in_flight: 0, dead_lettered: 0, paused: true });
    expect(await Promise.all(held.map(writesOf))).toEqual([0, 0]);

    const resumed = await hub.fetch(`/api/v1/queues/${KIND}/resume`, { method: 'POST', headers: { Authorization: `Bearer ${admin}` } });
    expect(await resumed.json()).toMatchObject({ paused: false });
    expect(await pollUntilIdle(poller)).toEqual({ delivered: 2, failed: 0 });
    expect(await Promise.all(held.map(writesOf))).toEqual([1, 1]);
  });
});

/** An operation of the test job on these clusters, as startOperation stores it before it sends the messages. */
async function startedOperation(clusters: string[]): Promise<Operation> {
  const now = new Date().toISOString();
  const op: Operation = {
    id: randomUUID(),
    kind: KIND,
    requestedBy: 'test',
    createdAt: now,
    clusters: Object.fromEntries(clusters.map((c) => [c, { state: 'queued' as const, updatedAt: now }])),
  };
  return (await hub.deps.background.operations.create(op)).operation;
}

async function adminToken(): Promise<string> {
  const res = await hub.fetch('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: (await import('../support/identity.ts')).ADMIN_PASSWORD }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}
