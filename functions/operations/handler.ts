import { handle } from 'hono/aws-lambda';
import { operationsGroup } from '#shared/api/operations/routes.ts';
import { createApi } from '#shared/http/app.ts';
import { awsJobQueues } from '#shared/runtime/aws-job-queues.ts';
import { awsDependencies } from '#shared/runtime/aws.ts';

// /api/v1/operations/* and /api/v1/queues/*: long work's progress, and the job queues behind it (admin).
const deps = awsDependencies(process.env, { jobQueues: awsJobQueues() });

export const handler = handle(createApi([operationsGroup(deps)], deps.logger));
