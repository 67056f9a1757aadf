import type { JobHandler } from './job-handler.ts';
import type { JobKind } from './jobs.ts';

/**
 * Each job kind's handler, loaded on first use, for the runtimes that run every worker in one
 * process (the local run, tests). A worker Lambda does not come through here: its entry
 * (functions/workers/<kind>/handler.ts) imports its own handler, so it bundles no other job.
 */
export const JOB_HANDLERS: Record<JobKind, () => Promise<JobHandler>> = {
  'health-sweep': async () => (await import('./jobs/health-sweep.ts')).healthSweep,
  inventory: async () => (await import('./jobs/inventory.ts')).inventory,
};
