/**
 * What an SQS event source mapping does, for runtimes without one (the local run, tests): receive
 * a batch, hand it to the worker as the SQS event Lambda would build, delete the messages the
 * worker did not report as failed, and leave the failed ones to come back after their visibility
 * timeout (the queue's redrive policy moves one that keeps failing to its dead-letter queue).
 * A paused poller takes nothing, as a disabled mapping does; its messages wait.
 */
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from '#shared/observability/logger.ts';
import type { Queue, QueueMessage } from '#shared/ports/queue.ts';
import type { SqsWorker } from './job-worker.ts';

export interface QueuePollerOptions {
  /** The queue's name, for the records' eventSourceARN (the worker logs it). */
  name: string;
  batchSize: number;
  /** How long a delivery stays invisible; a failed message comes back after it. */
  visibilitySeconds: number;
  /** Long poll of each receive (0-20 s). */
  waitSeconds?: number;
  logger: Logger;
  /** Whether to take messages now (a queue's pause switch). */
  paused?: () => boolean;
  /** The worker's timeout, as its Lambda context tells it (Powertools' idempotency reads it). Default 60 s. */
  timeoutSeconds?: number;
}

export interface PollOutcome {
  delivered: number;
  failed: number;
}

/** An SQS event of these messages, shaped as Lambda's event source mapping builds it. */
export function sqsEventOf(messages: QueueMessage[], queueName: string, now = Date.now()): SQSEvent {
  return {
    Records: messages.map((m): SQSRecord => ({
      messageId: m.id,
      receiptHandle: m.receipt,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(now),
        SenderId: 'clusterhub',
        ApproximateFirstReceiveTimestamp: String(now),
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(m.body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:local:000000000000:${queueName}`,
      awsRegion: 'local',
    })),
  };
}

/** The Lambda context of one invocation, as much of it as a worker reads. */
function lambdaContext(name: string, timeoutSeconds: number): Context {
  const deadline = Date.now() + timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `clusterhub-${name}-worker`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:clusterhub-${name}-worker`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/clusterhub-${name}-worker`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

export class QueuePoller {
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly queue: Queue,
    private readonly worker: SqsWorker,
    private readonly options: QueuePollerOptions,
  ) {}

  /** One receive and its batch: what the mapping does each time it finds messages. */
  async pollOnce(waitSeconds = this.options.waitSeconds ?? 0): Promise<PollOutcome> {
    if (this.options.paused?.()) return { delivered: 0, failed: 0 };
    const messages = await this.queue.receive({ max: this.options.batchSize, waitSeconds, visibilitySeconds: this.options.visibilitySeconds });
    if (messages.length === 0) return { delivered: 0, failed: 0 };
    let failedIds: Set<string>;
    try {
      const response = await this.worker(sqsEventOf(messages, this.options.name), lambdaContext(this.options.name, this.options.timeoutSeconds ?? 60));
      failedIds = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    } catch (err) {
      // A worker that throws fails its whole batch, as a Lambda error does.
      this.options.logger.error('worker failed its whole batch', { queue: this.options.name, error: err instanceof Error ? err.message : String(err) });
      failedIds = new Set(messages.map((m) => m.id));
    }
    await Promise.all(messages.filter((m) => !failedIds.has(m.id)).map((m) => this.queue.ack(m.receipt)));
    return { delivered: messages.length, failed: messages.filter((m) => failedIds.has(m.id)).length };
  }

  /** Polls until stopped, one batch at a time (a mapping's concurrency of one). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          if (this.options.paused?.()) await new Promise((resolve) => setTimeout(resolve, 500));
          else await this.pollOnce(this.options.waitSeconds ?? 1);
        } catch (err) {
          this.options.logger.error('polling a queue failed', { queue: this.options.name, error: err instanceof Error ? err.message : String(err) });
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      }
    })();
  }

  /** Stops after the batch in hand. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
