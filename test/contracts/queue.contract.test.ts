import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InProcessQueue } from '#shared/adapters/local/in-process-queue.ts';
import { SqsQueue } from '#shared/adapters/sqs/sqs-queue.ts';
import type { Clock } from '#shared/ports/clock.ts';
import type { QueueMessage } from '#shared/ports/queue.ts';
import { awsTargets, type AwsTarget } from './backend.ts';
import { queueContract, type QueueAdapter } from './queue-contract.ts';

// The contract itself is queue-contract.ts; here it runs on SQS (each emulator of the test bed) and in process.

const run = randomUUID().slice(0, 8);
let counter = 0;

const sqsAdapter = (target: AwsTarget): QueueAdapter => {
  let client: SQSClient | undefined;
  const urls: string[] = [];
  const create = async (name: string, attributes: Record<string, string>) => {
    client ??= new SQSClient(target.client);
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    urls.push(QueueUrl!);
    return QueueUrl!;
  };
  return {
    name: `SqsQueue on ${target.name}`,
    unavailable: target.unavailable,
    async make({ maxReceives, visibilitySeconds }) {
      const base = `contract-${run}-${++counter}`;
      const dlqUrl = await create(`${base}-dlq`, { VisibilityTimeout: String(visibilitySeconds) });
      const { Attributes } = await client!.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
      const url = await create(base, {
        VisibilityTimeout: String(visibilitySeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes!.QueueArn, maxReceiveCount: maxReceives }),
      });
      return { queue: new SqsQueue(client!, url), deadLetter: new SqsQueue(client!, dlqUrl) };
    },
    async cleanup() {
      await Promise.all(urls.map((QueueUrl) => client!.send(new DeleteQueueCommand({ QueueUrl }))));
      client?.destroy();
    },
  };
};

const inProcessAdapter = (): QueueAdapter => ({
  name: 'InProcessQueue',
  async make({ maxReceives, visibilitySeconds }) {
    const deadLetter = new InProcessQueue({ maxReceives, visibilitySeconds });
    return { queue: new InProcessQueue({ maxReceives, visibilitySeconds, deadLetter }), deadLetter };
  },
  async cleanup() {},
});

describe.each([...awsTargets().map(sqsAdapter), inProcessAdapter()])('Queue contract: $name', queueContract);

/** A clock a test moves by hand. */
function manualClock(start = Date.parse('2026-01-01T00:00:00Z')): Clock & { advance(seconds: number): void } {
  let now = start;
  return { now: () => new Date(now), advance: (seconds) => (now += seconds * 1000) };
}

describe('InProcessQueue with an injected clock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('redelivers and dead-letters as the clock moves, without waiting', async () => {
    const clock = manualClock();
    const deadLetter = new InProcessQueue({ maxReceives: 2, visibilitySeconds: 30, clock });
    const queue = new InProcessQueue({ maxReceives: 2, visibilitySeconds: 30, clock, deadLetter });
    const id = await queue.send('job');

    expect(await queue.receive()).toMatchObject([{ id, receiveCount: 1 }]);
    clock.advance(29);
    expect(await queue.receive()).toEqual([]);
    clock.advance(1);
    expect(await queue.receive()).toMatchObject([{ id, receiveCount: 2 }]);
    clock.advance(30);
    expect(await queue.receive()).toEqual([]);
    expect(await deadLetter.receive()).toMatchObject([{ id, body: 'job' }]);
  });

  it('sleeps through a long poll on timers: fake time decides when it ends', async () => {
    vi.useFakeTimers();
    const queue = new InProcessQueue({ maxReceives: 5, visibilitySeconds: 30 });
    await queue.send('job', { delaySeconds: 15 });
    let result: QueueMessage[] | undefined;

    const polling = queue.receive({ waitSeconds: 20 }).then((r) => (result = r));
    await vi.advanceTimersByTimeAsync(14_000);
    expect(result).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1_000);
    await polling;

    expect(result?.map((m) => m.body)).toEqual(['job']);
    // Only the poll's own deadline may remain, and receive cleared it.
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not let a stale receipt acknowledge a later delivery', async () => {
    const clock = manualClock();
    const queue = new InProcessQueue({ maxReceives: 5, visibilitySeconds: 10, clock });
    await queue.send('job');
    const [first] = await queue.receive();
    clock.advance(10);
    const [second] = await queue.receive();

    await queue.ack(first!.receipt);
    clock.advance(10);

    expect(await queue.receive()).toMatchObject([{ id: second!.id, receiveCount: 3 }]);
  });

  it('refuses limits SQS would refuse', async () => {
    const queue = new InProcessQueue({ maxReceives: 1, visibilitySeconds: 1 });

    await expect(queue.receive({ max: 11 })).rejects.toThrow(RangeError);
    await expect(queue.receive({ waitSeconds: 21 })).rejects.toThrow(RangeError);
    await expect(queue.send('x', { delaySeconds: 901 })).rejects.toThrow(RangeError);
    expect(() => new InProcessQueue({ maxReceives: 0, visibilitySeconds: 1 })).toThrow(RangeError);
  });
});
