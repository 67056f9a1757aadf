import type { Context, SQSEvent } from 'aws-lambda';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GCProfiler, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { JobHandler } from '#shared/workers/job-handler.ts';
import { jobWorker } from '#shared/workers/job-worker.ts';
import { healthSweep } from '#shared/workers/jobs/health-sweep.ts';
import { inventory } from '#shared/workers/jobs/inventory.ts';
import type { JobMessage, JobResult } from '#shared/workers/messages.ts';
import { testClusters } from '#test/support/clusters.ts';
import { startTestHub } from '#test/support/hub.ts';
import { ADMIN_PASSWORD, bearer, jsonPost, login } from '#test/support/identity.ts';
import { downTestbed, upTestbed, useTestbedEnv } from '#test/testbed/testbed.ts';
import { meterCapacity, type Capacity } from '../capacity.ts';
import { round } from '../stats.ts';
import { namespaceOfPods, straightClient } from '../straight-to-cluster.ts';
import type { BenchResult, Scenario } from '../result.ts';

/** The goal (issue 13): a sweep's peak heap at most this share of holding the whole pod list at once. */
export const PEAK_HEAP_SHARE_GOAL = 0.25;

/** A Lambda's context as the worker edge reads it (the idempotency layer asks for the time left). */
const lambdaContext = { awsRequestId: 'bench-sweep', getRemainingTimeInMillis: () => 900_000 } as unknown as Context;

const sqsSample = JSON.parse(readFileSync(new URL('../../../events/sqs/health-sweep-batch.json', import.meta.url), 'utf8')) as SQSEvent;

/** The collector, callable: a peak is measured from a heap with nothing left over from before. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/**
 * How far the JS heap grew above where it stood before `work`, at its highest: the largest heap
 * in use just before any collection during the work, or at its end while its result is still held.
 */
async function peakHeapGrowth<T>(gc: () => void, work: () => Promise<T>): Promise<{ growth: number; result: T }> {
  gc();
  const baseline = process.memoryUsage().heapUsed;
  const profiler = new GCProfiler();
  profiler.start();
  const result = await work();
  const atEnd = process.memoryUsage().heapUsed;
  const { statistics } = profiler.stop();
  const peak = Math.max(atEnd, ...statistics.map((s) => s.beforeGC.heapStatistics.usedHeapSize));
  return { growth: peak - baseline, result };
}

const mib = (bytes: number) => round(bytes / 2 ** 20, 1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

/**
 * Issue 13's sweep row: the health-sweep and inventory workers (as deployed: an SQS event through
 * the worker edge, its idempotency record and the cluster's lease included) on a test bed cluster
 * holding 10,000 more kwok pods. Measured side by side in one process: each job's peak heap growth
 * against a reference that asks the cluster for every pod in one response and holds the list, and
 * the table capacity of a second sweep and inventory that find nothing changed.
 */
export const sweepScenario: Scenario = async (ctx) => {
  const { env, started } = await upTestbed(ctx.log);
  useTestbedEnv(env);
  const [, beta] = testClusters();
  const pods = ctx.quick ? 300 : 10_000;
  const rounds = ctx.quick ? 2 : 3;
  const run = randomBytes(3).toString('hex');
  const ns = `bench-sweep-${run}`;
  const gc = collector();
  const cluster = await straightClient(beta!.adminKubeconfig);
  const hub = await startTestHub();
  let removeNamespace: (() => Promise<void>) | undefined;
  try {
    const headers = bearer((await login(hub, 'admin', ADMIN_PASSWORD)).access_token);
    const registered = await hub.fetch('/api/v1/clusters', jsonPost({ name: `bench-sweep-${run}`, kubeconfig: beta!.adminKubeconfig }, headers));
    const clusterId = ((await registered.json()) as { id: string }).id;

    ctx.log(`sweep: creating ${pods} pods in ${ns}`);
    const creating = performance.now();
    removeNamespace = await namespaceOfPods(cluster, ns, pods);
    // Every pod running before the first sweep, so that kwok's status updates are no change the second one finds.
    for (;;) {
      const waiting = JSON.parse(await cluster.get(`/api/v1/namespaces/${ns}/pods?fieldSelector=status.phase%21%3DRunning&limit=1`)) as { items: unknown[] };
      if (!waiting.items.length) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const createdIn = round((performance.now() - creating) / 1000, 1);
    ctx.log(`sweep: ${pods} pods created and running in ${createdIn} s`);

    const meter = meterCapacity(hub.deps.table);
    const outcomes: JobResult[] = [];
    const recorded =
      (handler: JobHandler): JobHandler =>
      async (message, deps) => {
        const result = await handler(message, deps);
        outcomes.push(result);
        return result;
      };
    const workers = { 'health-sweep': recorded(healthSweep), inventory: recorded(inventory) };
    /** One scheduled run of a job on the cluster, as SQS delivers it; each round is a run of its own (a new idempotency key). */
    const deliver = async (job: keyof typeof workers, round: number) => {
      const plannedAt = new Date(Date.UTC(2026, 11, 1, 0, round)).toISOString();
      const message: JobMessage = { version: 1, job, run_id: `${job}@${plannedAt}-${run}`, cluster_id: clusterId, trigger: 'schedule', planned_at: plannedAt };
      const event: SQSEvent = { Records: [{ ...sqsSample.Records[0]!, messageId: `${job}-${round}-${run}`, body: JSON.stringify(message) }] };
      const answer = await jobWorker(job, workers[job], hub.deps)(event, lambdaContext);
      if (answer.batchItemFailures.length) throw new Error(`bench: the ${job} worker failed its message`);
      const outcome = outcomes.at(-1)!;
      if (outcome.outcome !== 'succeeded') throw new Error(`bench: the ${job} job answered ${outcome.outcome}: ${outcome.detail}`);
      return outcome;
    };
    const allPods = async () => {
      const list = JSON.parse(await cluster.get('/api/v1/pods')) as { items: unknown[] };
      if (list.items.length < pods) throw new Error(`bench: the cluster listed ${list.items.length} pods`);
      return list;
    };

    const growth: Record<'reference' | 'health-sweep' | 'inventory', number[]> = { reference: [], 'health-sweep': [], inventory: [] };
    const unchanged: Partial<Record<keyof typeof workers, { capacity: Capacity; outcome: JobResult }>> = {};
    let podsListed = 0;
    // Unmeasured: the first sweep and snapshot, and the first live call's import of the Kubernetes client.
    for (const job of ['health-sweep', 'inventory'] as const) await deliver(job, 0);
    // Interleaved: the reference, then each job, every round; each round's jobs find nothing changed.
    for (let i = 1; i <= rounds; i++) {
      ctx.log(`sweep: round ${i} of ${rounds}`);
      const reference = await peakHeapGrowth(gc, allPods);
      podsListed = reference.result.items.length;
      growth.reference.push(reference.growth);
      reference.result.items.length = 0;
      for (const job of ['health-sweep', 'inventory'] as const) {
        let capacity: Capacity = { read: 0, write: 0 };
        const measured = await peakHeapGrowth(gc, async () => {
          let outcome: JobResult | undefined;
          capacity = await meter(async () => (outcome = await deliver(job, i)));
          return outcome!;
        });
        growth[job].push(measured.growth);
        if (i === 1) unchanged[job] = { capacity, outcome: measured.result };
      }
    }

    const referenceGrowth = median(growth.reference);
    const results: BenchResult[] = [];
    for (const job of ['health-sweep', 'inventory'] as const) {
      const jobGrowth = median(growth[job]);
      const share = round(jobGrowth / referenceGrowth);
      const second = unchanged[job]!;
      const data = (second.outcome.data ?? {}) as { written?: boolean; changes?: number };
      const found =
        job === 'inventory'
          ? data.written
            ? `, it found ${data.changes} changed objects (others' work on the shared cluster) and wrote a snapshot`
            : ', nothing changed'
          : '';
      results.push({
        scenario: 'sweep',
        name: `${job} worker on a cluster with ${pods} more kwok pods (${podsListed} in all)`,
        figure: `peak heap +${mib(jobGrowth)} MiB; second, unchanged run ${second.capacity.write} WCU, ${second.capacity.read} RCU${found}`,
        reference: `peak heap +${mib(referenceGrowth)} MiB (every pod in one response, parsed and held)`,
        ratio: share,
        how:
          `median of ${rounds} interleaved rounds in one process, the collector run before each: the largest used JS heap before any collection ` +
          `(v8.GCProfiler) or at the end, less the heap before; the worker fed an SQS event as deployed, after one unmeasured run (the first snapshot, the Kubernetes client loaded); ` +
          `capacity units as DynamoDB Local reports them for the first run after the first snapshot (the worker edge's idempotency record and lease included); goal ≤ ${PEAK_HEAP_SHARE_GOAL}x the reference ` +
          `(${share <= PEAK_HEAP_SHARE_GOAL ? 'met' : 'not met'}); the ${pods} pods took ${createdIn} s to create and run`,
        budget: { peak_heap_share_goal: PEAK_HEAP_SHARE_GOAL, unchanged_write_capacity_units: second.capacity.write },
        noisy: false,
      });
    }
    return results;
  } finally {
    await removeNamespace?.();
    await hub.stop().catch(() => undefined);
    if (started) await downTestbed(ctx.log);
  }
};
