/**
 * The worker edge: what turns a job handler into a worker Lambda fed by an SQS event source mapping.
 * Powertools' batch utility reports the records that failed (ReportBatchItemFailures), so only those
 * come back; its idempotency utility keeps a record per `run_id` + `cluster_id` + `job` in the table,
 * so a message delivered twice has its effect once. Around the handler, a lease in the table keeps
 * one cluster from running the same job twice at once, and the operation a user started hears of
 * each cluster's outcome. What a thrown error does is decided by its kind (retry-policy.ts).
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { jobIdempotencyPrefix, jobIdempotencyRecord } from '#shared/data/entities/background.ts';
import { tableDefinition } from '#shared/data/table-definition.ts';
import { shownFailureText } from '#shared/domain/clusters/failure-text.ts';
import type { Queue } from '#shared/ports/queue.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import type { JobHandler } from './job-handler.ts';
import { jobMessage, jobResult, type JobMessage, type JobResult } from './messages.ts';
import { isJobKind, JOBS } from './jobs.ts';
import { retryPolicyOfError } from './retry-policy.ts';

/** Idempotency records outlive any redelivery: SQS keeps a message 4 days by default, the DLQ 14. */
const IDEMPOTENCY_DAYS = 15;

export interface JobWorkerOptions {
  /** Where a message that can never succeed goes at once (dead_letter); the job's dead-letter queue unless given. */
  deadLetters?: Queue;
  /** The deliveries the queue's redrive policy allows (its maxReceiveCount); the job's queue's `maxReceives` unless given. */
  maxReceives?: number;
}

export type SqsWorker = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

/** The worker of one job kind: a Lambda handler for batches of its queue's messages. */
export function jobWorker(kind: string, handler: JobHandler, deps: Dependencies, options: JobWorkerOptions = {}): SqsWorker {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: '[run_id, cluster_id, job]',
    expiresAfterSeconds: IDEMPOTENCY_DAYS * 86_400,
    throwOnNoIdempotencyKey: true,
  });
  // The handler's effect, once per key; its JobResult is what a repeat delivery answers.
  const runOnce = makeIdempotent((message: JobMessage) => runLeased(kind, handler, message, deps), {
    persistenceStore: new DynamoDBPersistenceLayer({
      tableName: deps.table.name,
      awsSdkV3Client: deps.table.client,
      keyAttr: tableDefinition.partitionKey,
      sortKeyAttr: tableDefinition.sortKey,
      // Its records under one partition of the single table, sorted by key hash, with the table's TTL (shared/data/entities/background.ts).
      staticPkValue: jobIdempotencyRecord.partition({}),
      expiryAttr: tableDefinition.ttlAttribute,
    }),
    config,
    dataIndexArgument: 0,
    keyPrefix: jobIdempotencyPrefix.fill({ kind }),
  });

  const queueOf = () => deps.background.queue(kind);
  /** The queue's redrive count, where its settings say it; a worker without its queue configured still retries as before. */
  const configuredMaxReceives = (): number | undefined => {
    try {
      return queueOf().maxReceives;
    } catch {
      return undefined;
    }
  };

  const handleRecord = async (record: SQSRecord, deadline: number | undefined): Promise<void> => {
    const parsed = parseMessage(record.body);
    if (!parsed.success || parsed.data.job !== kind) {
      const why = parsed.success ? `a ${parsed.data.job} message on the ${kind} queue` : 'a malformed message';
      deps.logger.error('dead-lettered a message no worker can handle', { job: kind, message_id: record.messageId, reason: why });
      await (options.deadLetters ?? queueOf().deadLetters).send(record.body);
      return;
    }
    const message = parsed.data;
    const receives = Number(record.attributes.ApproximateReceiveCount);
    const log = { job: kind, run_id: message.run_id, cluster_id: message.cluster_id, message_id: record.messageId, receive_count: receives };
    try {
      const result = await withinDeadline(runOnce(message), deadline, kind);
      deps.logger.info('job done', { ...log, outcome: result.outcome });
    } catch (err) {
      const policy = retryPolicyOfError(err);
      const error = shownFailureText(err instanceof Error ? err.message : String(err));
      if (policy === 'retry') {
        const maxReceives = options.maxReceives ?? configuredMaxReceives();
        if (maxReceives !== undefined && receives >= maxReceives) {
          // The last delivery the redrive policy allows: SQS moves the message to the dead letters next, and
          // nobody would tell the operation, which would show this cluster running for ever.
          deps.logger.error('job failed on its last delivery; its message goes to the dead letters', { ...log, error });
          await reportProgress(deps, message, { outcome: 'failed', detail: `Gave up after ${receives} deliveries: ${error}`.slice(0, 500) });
        } else {
          deps.logger.warn('job failed; its message comes back', { ...log, error });
        }
        throw err;
      }
      await reportProgress(deps, message, { outcome: 'failed', detail: error });
      if (policy === 'dead_letter') {
        deps.logger.error('job failed for good; dead-lettered', { ...log, error });
        await (options.deadLetters ?? queueOf().deadLetters).send(record.body);
      } else {
        deps.logger.info('job dropped: nothing left to do', { ...log, error });
      }
    }
  };

  return (event, context) => {
    if (context) config.registerLambdaContext(context);
    const deadline = context && Date.now() + workingTimeOf(context.getRemainingTimeInMillis());
    return processPartialResponse(event, (record: SQSRecord) => handleRecord(record, deadline), new BatchProcessor(EventType.SQS), {
      context,
      throwOnFullBatchFailure: false,
    });
  };
}

/**
 * How long of the invocation's remaining time a record may run: a margin short of it, so that a
 * run that would be cut off by the Lambda timeout fails as a record instead (the batch's other
 * records keep their outcome, and the last delivery records its failure) while the worker can still answer.
 */
function workingTimeOf(remainingMs: number): number {
  return remainingMs - Math.min(5_000, Math.max(500, remainingMs / 10));
}

class JobTimeoutError extends Error {}

/** The run, or a retried failure once the deadline passes (the run itself goes on until the runtime stops it). */
async function withinDeadline<T>(run: Promise<T>, deadline: number | undefined, kind: string): Promise<T> {
  if (deadline === undefined) return run;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new JobTimeoutError(`The ${kind} job did not finish in the time its worker has.`)), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function parseMessage(body: string) {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { success: false as const };
  }
  return jobMessage.safeParse(json);
}

/** The handler under the cluster's lease; a cluster whose previous run still holds it is skipped, not piled up. */
async function runLeased(kind: string, handler: JobHandler, message: JobMessage, deps: Dependencies): Promise<JobResult> {
  const { leases } = deps.background;
  // Held as long as one message may take; a worker that dies frees it by expiry.
  const lease = await leases.acquire(message.cluster_id, kind, message.run_id, isJobKind(kind) ? JOBS[kind].timeoutSeconds : undefined);
  if (!lease) {
    const skipped: JobResult = { outcome: 'skipped', detail: `A ${kind} run for this cluster is still in progress.` };
    await reportProgress(deps, message, skipped);
    return skipped;
  }
  try {
    await reportProgress(deps, message, undefined);
    const result = jobResult.parse(await handler(message, deps));
    await reportProgress(deps, message, result);
    return result;
  } finally {
    await leases.release(lease);
  }
}

/** Tells the operation (if a user started this work) that its cluster is running (no result yet) or done. */
async function reportProgress(deps: Dependencies, message: JobMessage, result: JobResult | undefined): Promise<void> {
  if (!message.operation_id) return;
  await deps.background.operations.recordProgress(message.operation_id, message.cluster_id, {
    state: result ? (result.outcome === 'failed' ? 'failed' : result.outcome === 'skipped' ? 'skipped' : 'succeeded') : 'running',
    detail: result?.detail,
    data: result?.data,
    updatedAt: deps.clock.now().toISOString(),
  });
}
