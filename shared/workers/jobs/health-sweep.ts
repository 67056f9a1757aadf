import type { JobHandler } from '../job-handler.ts';

/**
 * PLACEHOLDER until the health-sweep job is built (issue 13, on the backbone): it does nothing and says so,
 * so that schedules already running on the local run neither fail nor fill the dead-letter queue.
 */
export const healthSweep: JobHandler = async () => ({ outcome: 'skipped', detail: 'The health-sweep job is not built yet.' });
