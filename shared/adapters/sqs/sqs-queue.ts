import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Queue, QueueMessage } from '#shared/ports/queue.ts';

/** SendMessageBatch takes at most ten entries. */
const SQS_BATCH = 10;
/** Batches in flight at once: a thousand messages leave in ten rounds. */
const PARALLEL_BATCHES = 10;

/**
 * The production queue. Dead-lettering is not done here: it is the queue's
 * RedrivePolicy (maxReceiveCount + DLQ ARN), set where the queue is defined
 * (infra/), so SQS moves a poison message even when a worker crashes mid-batch.
 */
export class SqsQueue implements Queue {
  /** `queueUrl` as CreateQueue or GetQueueUrl returned it. */
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /** Sends one message; returns the id SQS gave it. */
  async send(body: string, options: { delaySeconds?: number } = {}): Promise<string> {
    const out = await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: body, DelaySeconds: options.delaySeconds }));
    if (!out.MessageId) throw new Error(`SQS returned no MessageId for a message sent to ${this.queueUrl}`);
    return out.MessageId;
  }

  /**
   * Sends in batches of ten (SendMessageBatch), several batches at a time; entries SQS reports as
   * failed are sent again (twice at most) before it gives up, naming how many were not sent.
   */
  async sendBatch(bodies: string[]): Promise<void> {
    const batches: SendMessageBatchRequestEntry[][] = [];
    for (let i = 0; i < bodies.length; i += SQS_BATCH) {
      batches.push(bodies.slice(i, i + SQS_BATCH).map((body, j) => ({ Id: String(i + j), MessageBody: body })));
    }
    let unsent = 0;
    const sendOne = async (entries: SendMessageBatchRequestEntry[]) => {
      for (let attempt = 0; entries.length > 0; attempt++) {
        if (attempt === 3) {
          unsent += entries.length;
          return;
        }
        const out = await this.client.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
        const failed = new Set((out.Failed ?? []).map((f) => f.Id));
        entries = entries.filter((e) => failed.has(e.Id));
      }
    };
    for (let i = 0; i < batches.length; i += PARALLEL_BATCHES) await Promise.all(batches.slice(i, i + PARALLEL_BATCHES).map(sendOne));
    if (unsent > 0) throw new Error(`SQS did not take ${unsent} of ${bodies.length} messages sent to ${this.queueUrl}`);
  }

  /** Receives up to `max` (1-10, default 1) messages, long-polling up to `waitSeconds` (default: the queue's setting). */
  async receive(options: { max?: number; waitSeconds?: number; visibilitySeconds?: number } = {}): Promise<QueueMessage[]> {
    const out = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: options.max ?? 1,
        WaitTimeSeconds: options.waitSeconds,
        VisibilityTimeout: options.visibilitySeconds,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    return (out.Messages ?? []).map((m) => {
      if (!m.MessageId || !m.ReceiptHandle) throw new Error(`SQS returned a message without id or receipt handle from ${this.queueUrl}`);
      return {
        id: m.MessageId,
        body: m.Body ?? '',
        receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
        receipt: m.ReceiptHandle,
      };
    });
  }

  async counts(): Promise<{ waiting: number; inFlight: number }> {
    const out = await this.client.send(
      new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    return { waiting: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0), inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) };
  }

  /** Deletes the message of this delivery; a stale receipt is accepted without error (the message may come back). */
  async ack(receipt: string): Promise<void> {
    await this.client.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receipt }));
  }
}
