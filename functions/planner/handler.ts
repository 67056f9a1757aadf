import { awsJobQueues } from '#shared/runtime/aws-job-queues.ts';
import { awsDependencies } from '#shared/runtime/aws.ts';
import { planRun } from '#shared/workers/planner.ts';

// Invoked by each job's EventBridge Scheduler schedule: one message per active cluster on that job's queue.
const deps = awsDependencies(process.env, { jobQueues: awsJobQueues() });

export const handler = (event: unknown) => planRun(event, deps);
