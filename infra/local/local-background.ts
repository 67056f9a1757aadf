import { randomUUID } from 'node:crypto';
import { ConfigError } from '#shared/config/config.ts';
import { InProcessJobQueue } from '#shared/adapters/local/in-process-job-queue.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import type { JobHandler } from '#shared/workers/job-handler.ts';
import { JOB_HANDLERS } from '#shared/workers/job-registry.ts';
import { jobWorker } from '#shared/workers/job-worker.ts';
import { cadenceMinutes, JOB_KINDS, JOBS, type JobKind } from '#shared/workers/jobs.ts';
import { planRun } from '#shared/workers/planner.ts';
import { QueuePoller } from '#shared/workers/queue-poller.ts';

/** The local run's cadence of a job: `HUB_SCHEDULE_<KIND>_MINUTES`, else the default the stack uses too. */
export const scheduleVariable = (kind: string) => `HUB_SCHEDULE_${kind.toUpperCase().replaceAll('-', '_')}_MINUTES`;

/** The queue of every job kind, in process, with SQS's redrive and visibility (six times the job's timeout, as on AWS). */
export function inProcessJobQueues(): InProcessJobQueue[] {
  return JOB_KINDS.map((kind) => new InProcessJobQueue(kind, { maxReceives: JOBS[kind].maxReceives, visibilitySeconds: JOBS[kind].timeoutSeconds * 6 }));
}

export interface LocalBackground {
  stop(): Promise<void>;
}

/**
 * What the stack's schedules, planner and workers do, in this process: a timer per job fires the
 * planner with the event the Scheduler would send (once soon after the start, then at the job's
 * cadence), and a poller per queue feeds its worker as the event source mapping would.
 */
export function startLocalBackground(deps: Dependencies, env: NodeJS.ProcessEnv): LocalBackground {
  const timers: NodeJS.Timeout[] = [];
  const pollers: QueuePoller[] = [];
  for (const kind of JOB_KINDS) {
    const queue = deps.background.queue(kind);
    const minutes = localCadence(kind, env);
    const fire = () =>
      void planRun(
        { job: kind, scheduled_at: new Date(Math.floor(deps.clock.now().getTime() / 60_000) * 60_000).toISOString(), execution_id: randomUUID() },
        deps,
      ).catch((err: unknown) =>
        deps.logger.error('a scheduled run could not be planned', { job: kind, error: err instanceof Error ? err.message : String(err) }),
      );
    timers.push(setTimeout(fire, 5_000), setInterval(fire, minutes * 60_000));
    const poller = new QueuePoller(queue.work, jobWorker(kind, lazyHandler(kind), deps), {
      name: kind,
      batchSize: JOBS[kind].batchSize,
      visibilitySeconds: JOBS[kind].timeoutSeconds * 6,
      waitSeconds: 5,
      timeoutSeconds: JOBS[kind].timeoutSeconds,
      logger: deps.logger,
      paused: () => (queue instanceof InProcessJobQueue ? queue.paused : false),
    });
    poller.start();
    pollers.push(poller);
    deps.logger.info('background job scheduled', { job: kind, every_minutes: minutes });
  }
  for (const t of timers) t.unref();
  return {
    stop: async () => {
      for (const t of timers) clearTimeout(t);
      await Promise.all(pollers.map((p) => p.stop()));
    },
  };
}

function localCadence(kind: JobKind, env: NodeJS.ProcessEnv): number {
  try {
    return cadenceMinutes(kind, (key) => (key === JOBS[kind].cadence.contextKey ? env[scheduleVariable(kind)] : undefined));
  } catch {
    throw new ConfigError(
      `${scheduleVariable(kind)}=${JSON.stringify(env[scheduleVariable(kind)])} is not a cadence: set it to a whole number of minutes from 1 to 1440.`,
    );
  }
}

function lazyHandler(kind: JobKind): JobHandler {
  return async (message, deps) => (await JOB_HANDLERS[kind]())(message, deps);
}
