import { GetEventSourceMappingCommand, UpdateEventSourceMappingCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { JobQueue, QueueStats } from '#shared/workers/background.ts';
import { SqsQueue } from './sqs-queue.ts';

export interface SqsJobQueueSettings {
  kind: string;
  queueUrl: string;
  deadLetterUrl: string;
  /** The UUID of the worker's event source mapping; pausing disables it. Without one, pause is refused. */
  mappingId?: string;
  /** The queue's redrive policy's maxReceiveCount, as the stack sets it on the worker (HUB_QUEUE_<KIND>_MAX_RECEIVES). */
  maxReceives?: number;
}

/**
 * A job's queue on AWS: SQS for the messages, and the worker's event source mapping as the pause
 * switch. A disabled mapping stops taking messages (those a worker holds finish); they wait in
 * the queue, within its retention, until it is enabled again.
 */
export class SqsJobQueue implements JobQueue {
  readonly kind: string;
  readonly work: SqsQueue;
  readonly deadLetters: SqsQueue;
  readonly maxReceives: number | undefined;

  constructor(
    sqs: SQSClient,
    private readonly lambda: () => LambdaClient,
    private readonly settings: SqsJobQueueSettings,
  ) {
    this.kind = settings.kind;
    this.work = new SqsQueue(sqs, settings.queueUrl);
    this.deadLetters = new SqsQueue(sqs, settings.deadLetterUrl);
    this.maxReceives = settings.maxReceives;
  }

  async stats(): Promise<QueueStats> {
    const [work, dead, paused] = await Promise.all([this.work.counts(), this.deadLetters.counts(), this.paused()]);
    return { depth: work.waiting, inFlight: work.inFlight, deadLettered: dead.waiting + dead.inFlight, paused };
  }

  pause(): Promise<void> {
    return this.setEnabled(false);
  }

  resume(): Promise<void> {
    return this.setEnabled(true);
  }

  private async paused(): Promise<boolean> {
    if (!this.settings.mappingId) return false;
    const out = await this.lambda().send(new GetEventSourceMappingCommand({ UUID: this.settings.mappingId }));
    return out.State === 'Disabled' || out.State === 'Disabling';
  }

  private async setEnabled(enabled: boolean): Promise<void> {
    if (!this.settings.mappingId) throw new Error(`The ${this.kind} queue has no event source mapping to ${enabled ? 'enable' : 'disable'}.`);
    await this.lambda().send(new UpdateEventSourceMappingCommand({ UUID: this.settings.mappingId, Enabled: enabled }));
  }
}

/** The environment variable prefix of a job's queue settings: `HUB_QUEUE_HEALTH_SWEEP_URL`, `_DLQ_URL`, `_MAPPING`, `_MAX_RECEIVES`. */
export const queueVariable = (kind: string, what: 'URL' | 'DLQ_URL' | 'MAPPING' | 'MAX_RECEIVES') =>
  `HUB_QUEUE_${kind.toUpperCase().replaceAll('-', '_')}_${what}`;

/** The settings of each job whose queue URLs the environment names (the stack sets them on the functions that use them). */
export function sqsJobQueueSettings(kinds: readonly string[], env: NodeJS.ProcessEnv): SqsJobQueueSettings[] {
  return kinds.flatMap((kind) => {
    const queueUrl = env[queueVariable(kind, 'URL')];
    const deadLetterUrl = env[queueVariable(kind, 'DLQ_URL')];
    if (!queueUrl || !deadLetterUrl) return [];
    return [{ kind, queueUrl, deadLetterUrl, mappingId: env[queueVariable(kind, 'MAPPING')] || undefined, maxReceives: maxReceivesOf(kind, env) }];
  });
}

function maxReceivesOf(kind: string, env: NodeJS.ProcessEnv): number | undefined {
  const raw = env[queueVariable(kind, 'MAX_RECEIVES')];
  if (raw === undefined || raw === '') return undefined;
  const count = Number(raw);
  // SQS's own bounds of maxReceiveCount.
  if (!Number.isInteger(count) || count < 1 || count > 1000)
    throw new RangeError(`${queueVariable(kind, 'MAX_RECEIVES')} must be a whole number from 1 to 1000, got ${JSON.stringify(raw)}`);
  return count;
}
