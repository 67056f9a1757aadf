/**
 * A work queue with at-least-once delivery, as SQS gives it: a received message
 * stays invisible for the visibility timeout and comes back unless acknowledged;
 * after `maxReceives` deliveries it moves to the dead-letter queue.
 */
export interface QueueMessage {
  id: string;
  body: string;
  /** How many times this message has been delivered, this delivery included. */
  receiveCount: number;
  /** Opaque handle to acknowledge (delete) this delivery. */
  receipt: string;
}

export interface Queue {
  send(body: string, options?: { delaySeconds?: number }): Promise<string>;
  /** Sends many messages, ten to a request where the queue batches (SQS SendMessageBatch); throws if any could not be sent. */
  sendBatch(bodies: string[]): Promise<void>;
  receive(options?: { max?: number; waitSeconds?: number; visibilitySeconds?: number }): Promise<QueueMessage[]>;
  ack(receipt: string): Promise<void>;
  /** Approximate counts, as SQS reports them: messages waiting, and messages received but not yet acknowledged. */
  counts(): Promise<{ waiting: number; inFlight: number }>;
}
