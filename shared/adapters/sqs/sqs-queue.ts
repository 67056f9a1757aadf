import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Queue, QueueMessage } from '#shared/ports/queue.ts';

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

  /** Deletes the message of this delivery; a stale receipt is accepted without error (the message may come back). */
  async ack(receipt: string): Promise<void> {
    await this.client.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receipt }));
  }
}
