import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { upTestbed, downTestbed, useTestbedEnv } from '#test/testbed/testbed.ts';
import { clusterRecord } from '#test/support/clusters.ts';
import { startTestHub } from '#test/support/hub.ts';
import { InProcessJobQueue } from '#shared/adapters/local/in-process-job-queue.ts';
import { planRun } from '#shared/workers/planner.ts';
import { round, summarize } from '../stats.ts';
import type { Scenario } from '../result.ts';

/** The fleet the planner fans out, as the issue sets it. */
const FLEET = 1000;
/** The goal (issue 13): a run planned in under two seconds. */
const GOAL_MS = 2000;

/**
 * The planner's fan-out of a fleet: 1,000 registered clusters (50 of them inactive) in DynamoDB
 * Local, one planned run of a job onto the in-process queue (batches of ten, as to SQS). Measured: the time of the run, the
 * table's capacity units for it and the commands it sent (no Scan); the messages are drained between runs.
 */
export const plannerFanOut: Scenario = async (ctx) => {
  const { env, started } = await upTestbed(ctx.log);
  useTestbedEnv(env);
  // The local run's queue: moto's SendMessageBatch slows as its queue grows (a thousand messages took 16 s
  // where a hundred took 0.2 s), which is the emulator's cost, not the planner's nor SQS's.
  const queue = new InProcessJobQueue('health-sweep', { maxReceives: 5, visibilitySeconds: 360 });
  const hub = await startTestHub({}, { jobQueues: () => [queue] });
  try {
    ctx.log(`planner: registering ${FLEET} clusters`);
    const items = Array.from({ length: FLEET }, (_, i) => clusterRecord(`fleet-${String(i).padStart(4, '0')}`, { active: i % 20 !== 0 }));
    // Cluster items as the repository writes them (the name claims are not what the planner reads).
    for (let i = 0; i < items.length; i += 50) {
      await Promise.all(
        items.slice(i, i + 50).map((c) =>
          hub.deps.table.doc.send(
            new PutCommand({
              TableName: hub.tableName,
              Item: {
                pk: `CLUSTER#${c.id}`,
                sk: 'CLUSTER',
                entity: 'cluster',
                version: 1,
                gsi1pk: 'CLUSTERS',
                gsi1sk: c.name,
                id: c.id,
                name: c.name,
                name_lower: c.name,
                server_url: c.serverUrl,
                status: c.status,
                active: c.active,
                credential_ref: c.credentialRef,
                labels: {},
                created_at: c.createdAt,
                updated_at: c.updatedAt,
              },
            }),
          ),
        ),
      );
    }
    const commands: string[] = [];
    const capacity = { read: 0 };
    hub.deps.table.doc.middlewareStack.add(
      (next, context) => async (args) => {
        commands.push(String(context.commandName));
        (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'TOTAL';
        const result = await next(args);
        for (const c of [(result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity].flat().filter(Boolean) as { CapacityUnits?: number }[]) {
          capacity.read += c.CapacityUnits ?? 0;
        }
        return result;
      },
      { step: 'initialize', name: 'benchPlannerCapacity' },
    );
    const runs = ctx.quick ? 3 : 15;
    const times: number[] = [];
    let sent = 0;
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const planned = await planRun({ job: 'health-sweep', scheduled_at: new Date(Date.UTC(2026, 11, 1, 0, 3 * i)).toISOString() }, hub.deps);
      times.push(performance.now() - t);
      sent = planned.clusters;
    }
    const sample = summarize(times);
    const perRun = round(capacity.read / runs);
    const scans = commands.filter((c) => /Scan/.test(c)).length;
    return [
      {
        scenario: 'planner',
        name: `planner fan-out of ${FLEET} registered clusters (${sent} active)`,
        figure: `p50 ${sample.median} ms, p99 ${sample.p99} ms; ${perRun} RCU per run, ${scans} Scan`,
        reference: `goal < ${GOAL_MS} ms, no Scan`,
        ratio: round(sample.median / GOAL_MS),
        how: `${runs} runs of planRun on DynamoDB Local and the in-process queue (moto's SQS slows with its own depth, so it would time the emulator); capacity units as DynamoDB Local reports them (ReturnConsumedCapacity TOTAL) for its Query of gsi1 CLUSTERS`,
        samples: { planner: sample },
        budget: { read_capacity_units: perRun, scans },
        noisy: sample.noisy,
      },
    ];
  } finally {
    await hub.stop().catch(() => undefined);
    if (started) await downTestbed(ctx.log);
  }
};
