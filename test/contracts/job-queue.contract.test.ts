import { randomUUID } from 'node:crypto';
import { CreateRoleCommand, DeleteRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  DeleteEventSourceMappingCommand,
  DeleteFunctionCommand,
  GetEventSourceMappingCommand,
  LambdaClient,
} from '@aws-sdk/client-lambda';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { InProcessJobQueue } from '#shared/adapters/local/in-process-job-queue.ts';
import { SqsJobQueue } from '#shared/adapters/sqs/sqs-job-queue.ts';
import type { JobQueue } from '#shared/workers/background.ts';
import { awsTargets, reportMissingBackend, type AwsTarget } from './backend.ts';

/**
 * Every JobQueue adapter pauses and resumes the same way, so the queue admin routes (POST
 * /queues/{name}/pause, /resume) mean the same on AWS as in the local run. On AWS the switch is
 * the worker's event source mapping: here a real one, of a real (never invoked) function on the
 * emulator's Lambda, reading a real queue, disabled and enabled through UpdateEventSourceMapping.
 * No message is sent while the mapping exists: the emulator would try to run the function.
 */

interface Adapter {
  name: string;
  unavailable?: string;
  /** A job queue whose pause switch starts on (taking messages). */
  make(): Promise<JobQueue>;
  /** How the switch looks from outside the adapter (the mapping's state on AWS), or undefined where only the adapter knows. */
  switchState?(queue: JobQueue): Promise<string>;
  cleanup(): Promise<void>;
}

const run = randomUUID().slice(0, 8);
let counter = 0;
/** The smallest valid zip archive (an empty one): the function is never invoked, only mapped. */
const EMPTY_ZIP = new Uint8Array([0x50, 0x4b, 0x05, 0x06, ...new Array<number>(18).fill(0)]);
const LAMBDA_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

const sqsAdapter = (target: AwsTarget): Adapter => {
  const sqs = new SQSClient(target.client);
  const lambda = new LambdaClient(target.client);
  const iam = new IAMClient(target.client);
  const undo: (() => Promise<unknown>)[] = [];
  const mappings = new Map<JobQueue, string>();
  return {
    name: `SqsJobQueue on ${target.name}`,
    unavailable: target.unavailable,
    async make() {
      const base = `contract-job-${run}-${++counter}`;
      const { QueueUrl: dlqUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${base}-dlq` }));
      undo.push(() => sqs.send(new DeleteQueueCommand({ QueueUrl: dlqUrl })));
      const { QueueUrl: queueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: base, Attributes: { VisibilityTimeout: '60' } }));
      undo.push(() => sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })));
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
      const { Role } = await iam.send(new CreateRoleCommand({ RoleName: `${base}-worker`, AssumeRolePolicyDocument: LAMBDA_TRUST }));
      undo.push(() => iam.send(new DeleteRoleCommand({ RoleName: `${base}-worker` })));
      await lambda.send(
        new CreateFunctionCommand({
          FunctionName: `${base}-worker`,
          Runtime: 'nodejs22.x',
          Role: Role!.Arn,
          Handler: 'index.handler',
          Code: { ZipFile: EMPTY_ZIP },
        }),
      );
      undo.push(() => lambda.send(new DeleteFunctionCommand({ FunctionName: `${base}-worker` })));
      const { UUID } = await lambda.send(
        new CreateEventSourceMappingCommand({
          FunctionName: `${base}-worker`,
          EventSourceArn: Attributes!.QueueArn,
          BatchSize: 5,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          Enabled: true,
        }),
      );
      undo.push(() => lambda.send(new DeleteEventSourceMappingCommand({ UUID })));
      const queue = new SqsJobQueue(sqs, () => lambda, { kind: 'contract-job', queueUrl: queueUrl!, deadLetterUrl: dlqUrl!, mappingId: UUID, maxReceives: 3 });
      mappings.set(queue, UUID!);
      return queue;
    },
    async switchState(queue) {
      return (await lambda.send(new GetEventSourceMappingCommand({ UUID: mappings.get(queue)! }))).State!;
    },
    async cleanup() {
      // Newest first: the mapping before its function, the function before its role and queue.
      for (const step of undo.reverse()) await step().catch(() => undefined);
      for (const client of [sqs, lambda, iam]) client.destroy();
    },
  };
};

const inProcessAdapter = (): Adapter => ({
  name: 'InProcessJobQueue',
  make: async () => new InProcessJobQueue('contract-job', { maxReceives: 3, visibilitySeconds: 60 }),
  async cleanup() {},
});

describe.each([...awsTargets().map(sqsAdapter), inProcessAdapter()])('JobQueue contract: $name', (adapter) => {
  if (reportMissingBackend(adapter.name, adapter.unavailable)) return;
  afterAll(() => adapter.cleanup());

  it('starts taking messages, pauses, and resumes, each state read back by stats()', async () => {
    const queue = await adapter.make();
    expect(await queue.stats()).toEqual({ depth: 0, inFlight: 0, deadLettered: 0, paused: false });

    await queue.pause();
    expect((await queue.stats()).paused).toBe(true);
    if (adapter.switchState) expect(await adapter.switchState(queue)).toMatch(/^Disabl(ed|ing)$/);

    await queue.resume();
    expect((await queue.stats()).paused).toBe(false);
    if (adapter.switchState) expect(await adapter.switchState(queue)).toMatch(/^Enabl(ed|ing)$/);
  });

  it('takes a pause or a resume twice as once', async () => {
    const queue = await adapter.make();
    await queue.pause();
    await queue.pause();
    expect((await queue.stats()).paused).toBe(true);
    await queue.resume();
    await queue.resume();
    expect((await queue.stats()).paused).toBe(false);
  });

  it('knows the receives after which its messages move to the dead letters', async () => {
    expect((await adapter.make()).maxReceives).toBe(3);
  });
});

describe('SqsJobQueue without an event source mapping', () => {
  it('refuses to pause, rather than claim a pause it cannot make', async () => {
    const queue = new SqsJobQueue(new SQSClient({}), () => new LambdaClient({}), {
      kind: 'contract-job',
      queueUrl: 'http://unused',
      deadLetterUrl: 'http://unused',
    });
    await expect(queue.pause()).rejects.toThrow(/no event source mapping/);
    await expect(queue.resume()).rejects.toThrow(/no event source mapping/);
  });
});
