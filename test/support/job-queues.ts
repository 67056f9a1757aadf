import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { SqsQueue } from '#shared/adapters/sqs/sqs-queue.ts';
import { createLogger, type Logger } from '#shared/observability/logger.ts';
import type { JobQueue, QueueStats } from '#shared/workers/background.ts';
import type { SqsWorker } from '#shared/workers/job-worker.ts';
import { QueuePoller, type PollOutcome } from '#shared/workers/queue-poller.ts';

/**
 * A job's queue on the test bed's SQS (moto), made as the stack makes it: a dead-letter queue and a
 * queue whose redrive policy moves a message there after `maxReceives` deliveries. There is no
 * event source mapping to disable, so pausing flips a switch the test poller reads, as a disabled
 * mapping would stop taking messages.
 */
export class TestJobQueue implements JobQueue {
  paused = false;

  private constructor(
    readonly kind: string,
    readonly work: SqsQueue,
    readonly deadLetters: SqsQueue,
    private readonly client: SQSClient,
    private readonly queueUrls: [string, string],
    readonly maxReceives: number,
  ) {}

  static async create(kind: string, options: { maxReceives: number }): Promise<TestJobQueue> {
    const client = new SQSClient({});
    const base = `${kind}-${randomUUID().slice(0, 8)}`;
    const { QueueUrl: dlqUrl } = await client.send(new CreateQueueCommand({ QueueName: `${base}-dlq` }));
    const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
    const { QueueUrl: url } = await client.send(
      new CreateQueueCommand({
        QueueName: base,
        Attributes: {
          VisibilityTimeout: '30',
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes!.QueueArn, maxReceiveCount: options.maxReceives }),
        },
      }),
    );
    return new TestJobQueue(kind, new SqsQueue(client, url!), new SqsQueue(client, dlqUrl!), client, [url!, dlqUrl!], options.maxReceives);
  }

  /** The URLs, as the stack puts them in a function's environment. */
  get urls(): { queueUrl: string; deadLetterUrl: string } {
    return { queueUrl: this.queueUrls[0], deadLetterUrl: this.queueUrls[1] };
  }

  async stats(): Promise<QueueStats> {
    const [work, dead] = await Promise.all([this.work.counts(), this.deadLetters.counts()]);
    return { depth: work.waiting, inFlight: work.inFlight, deadLettered: dead.waiting + dead.inFlight, paused: this.paused };
  }

  async pause(): Promise<void> {
    this.paused = true;
  }

  async resume(): Promise<void> {
    this.paused = false;
  }

  async delete(): Promise<void> {
    await Promise.all(this.queueUrls.map((QueueUrl) => this.client.send(new DeleteQueueCommand({ QueueUrl }))));
    this.client.destroy();
  }
}

/**
 * The event source mapping of a test: batches of up to ten handed to the worker as real SQS
 * events, successes deleted, failures left to come back at once (visibility 0, so a test needs no
 * sleep), nothing taken while the queue is paused.
 */
export function testPoller(
  queue: TestJobQueue,
  worker: SqsWorker,
  logger: Logger = createLogger({}, { level: 'error' }),
  options: { timeoutSeconds?: number } = {},
): QueuePoller {
  return new QueuePoller(queue.work, worker, { name: queue.kind, batchSize: 10, visibilitySeconds: 0, logger, paused: () => queue.paused, ...options });
}

/** Polls until a receive finds nothing (at most `rounds` times); the sum of what was delivered and failed. */
export async function pollUntilIdle(poller: QueuePoller, rounds = 30): Promise<PollOutcome> {
  const total = { delivered: 0, failed: 0 };
  for (let i = 0; i < rounds; i++) {
    const outcome = await poller.pollOnce(0);
    if (outcome.delivered === 0) return total;
    total.delivered += outcome.delivered;
    total.failed += outcome.failed;
  }
  throw new Error(`the queue was still delivering after ${rounds} polls`);
}
