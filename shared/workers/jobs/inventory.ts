import type { JobHandler } from '../job-handler.ts';

/**
 * PLACEHOLDER until the inventory job is built (issue 13, on the backbone): it does nothing and says so,
 * so that schedules already running on the local run neither fail nor fill the dead-letter queue.
 */
export const inventory: JobHandler = async () => ({ outcome: 'skipped', detail: 'The inventory job is not built yet.' });
