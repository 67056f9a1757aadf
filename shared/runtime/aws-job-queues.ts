import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsJobQueue, sqsJobQueueSettings } from '#shared/adapters/sqs/sqs-job-queue.ts';
import type { JobQueue } from '#shared/workers/background.ts';
import { JOB_KINDS } from '#shared/workers/jobs.ts';

/**
 * The job queues the stack named in this function's environment (HUB_QUEUE_<KIND>_URL, _DLQ_URL,
 * _MAPPING): only those it was granted. For `awsDependencies(env, { jobQueues: awsJobQueues(env) })`.
 */
export function awsJobQueues(env: NodeJS.ProcessEnv = process.env): () => JobQueue[] {
  return () => {
    const sqs = new SQSClient({});
    let lambda: LambdaClient | undefined;
    const lambdaClient = () => (lambda ??= new LambdaClient({}));
    return sqsJobQueueSettings(JOB_KINDS, env).map((settings) => new SqsJobQueue(sqs, lambdaClient, settings));
  };
}
