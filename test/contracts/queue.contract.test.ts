import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { InProcessQueue } from '#shared/adapters/local/in-process-queue.ts';
import { SqsQueue } from '#shared/adapters/sqs/sqs-queue.ts';
import type { Clock } from '#shared/ports/clock.ts';
import type { Queue, QueueMessage } from '#shared/ports/queue.ts';
import { awsTargets, reportMissingBackend, type AwsTarget } from './backend.ts';

/**
 * Every Queue adapter passes these same assertions, so workers behave the same
 * on the local run as on SQS. Time is real here (visibility of 1 s) because an
 * emulator cannot be told to skip ahead; the waits are long polls, not sleeps,
 * so a test ends as soon as the behaviour shows.
 */

interface QueuePair {
  queue: Queue;
  deadLetter: Queue;
}

interface Adapter {
  name: string;
  /** Why this adapter cannot run here; the suite fails in CI and skips elsewhere. */
  unavailable?: string;
  /** A main queue whose messages move to `deadLetter` on the receive after `maxReceives` deliveries. */
  make(options: { maxReceives: number; visibilitySeconds: number }): Promise<QueuePair>;
  cleanup(): Promise<void>;
}

const run = randomUUID().slice(0, 8);
let counter = 0;
/** The queue's own default: long, so only a receive's explicit override lets a message come back soon. */
const defaultVisibility = 30;
const maxReceives = 2;

const sqsAdapter = (target: AwsTarget): Adapter => {
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

const inProcessAdapter = (): Adapter => ({
  name: 'InProcessQueue',
  async make({ maxReceives, visibilitySeconds }) {
    const deadLetter = new InProcessQueue({ maxReceives, visibilitySeconds });
    return { queue: new InProcessQueue({ maxReceives, visibilitySeconds, deadLetter }), deadLetter };
  },
  async cleanup() {},
});

/** Receives until `count` messages arrived or `seconds` passed; SQS may hand out fewer per call than it has. */
async function receiveAll(queue: Queue, count: number, seconds: number): Promise<QueueMessage[]> {
  const got: QueueMessage[] = [];
  const deadline = Date.now() + seconds * 1000;
  while (got.length < count && Date.now() < deadline) {
    got.push(...(await queue.receive({ max: 10, waitSeconds: 1, visibilitySeconds: 10 })));
  }
  return got;
}

async function timed<T>(action: Promise<T>): Promise<{ result: T; ms: number }> {
  const start = performance.now();
  const result = await action;
  return { result, ms: performance.now() - start };
}

describe.each([...awsTargets().map(sqsAdapter), inProcessAdapter()])('Queue contract: $name', (adapter) => {
  if (reportMissingBackend(adapter.name, adapter.unavailable)) return;

  const fresh = () => adapter.make({ maxReceives, visibilitySeconds: defaultVisibility });
  afterAll(() => adapter.cleanup());

  it('delivers a sent message once, and an acknowledged one never again', async () => {
    const { queue } = await fresh();
    const id = await queue.send('{"cluster":"alpha"}');

    const [message, ...rest] = await queue.receive({ waitSeconds: 2, visibilitySeconds: 1 });
    expect(rest).toEqual([]);
    expect(message).toMatchObject({ id, body: '{"cluster":"alpha"}', receiveCount: 1 });
    await queue.ack(message!.receipt);

    // Well past the 1 s visibility: an unacknowledged message would be back by now.
    expect(await queue.receive({ waitSeconds: 3 })).toEqual([]);
  });

  it('hides a received message for its visibility timeout, then redelivers it with a higher count', async () => {
    const { queue } = await fresh();
    const id = await queue.send('work');
    const [first] = await queue.receive({ waitSeconds: 2, visibilitySeconds: 1 });

    const hidden = await queue.receive();
    const {
      result: [again],
      ms,
    } = await timed(queue.receive({ waitSeconds: 5, visibilitySeconds: 1 }));

    expect(hidden).toEqual([]);
    expect(again).toMatchObject({ id, body: 'work', receiveCount: 2 });
    expect(again!.receipt).not.toBe(first!.receipt);
    expect(ms).toBeGreaterThan(300);
  });

  it("keeps a message hidden for the queue's own visibility timeout when a receive sets none", async () => {
    const { queue } = await fresh();
    await queue.send('slow work');
    await queue.receive({ waitSeconds: 2 });

    expect(await queue.receive({ waitSeconds: 2 })).toEqual([]);
  });

  it(`moves a message to the dead-letter queue after ${maxReceives} receives`, async () => {
    const { queue, deadLetter } = await fresh();
    const id = await queue.send('poison');
    for (let delivery = 1; delivery <= maxReceives; delivery++) {
      const [message] = await queue.receive({ waitSeconds: 5, visibilitySeconds: 1 });
      expect(message).toMatchObject({ id, receiveCount: delivery });
    }

    // The next receive, once the last delivery's visibility ran out, is what moves it.
    const afterLast = await queue.receive({ waitSeconds: 3, visibilitySeconds: 1 });
    const dead = await deadLetter.receive({ waitSeconds: 2 });

    expect(afterLast).toEqual([]);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ id, body: 'poison' });
  });

  it('returns a long poll as soon as a message arrives', async () => {
    const { queue } = await fresh();

    const polling = timed(queue.receive({ waitSeconds: 10 }));
    await new Promise((resolve) => setTimeout(resolve, 500));
    await queue.send('arrived');
    const { result, ms } = await polling;

    expect(result.map((m) => m.body)).toEqual(['arrived']);
    expect(ms).toBeLessThan(5000);
  });

  it('ends an empty long poll after waitSeconds with no messages', async () => {
    const { queue } = await fresh();

    const { result, ms } = await timed(queue.receive({ waitSeconds: 1 }));

    expect(result).toEqual([]);
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(5000);
  });

  it('holds back a delayed message until its delay has passed', async () => {
    const { queue } = await fresh();
    await queue.send('later', { delaySeconds: 1 });

    const early = await queue.receive();
    const { result: late, ms } = await timed(queue.receive({ waitSeconds: 5 }));

    expect(early).toEqual([]);
    expect(late.map((m) => m.body)).toEqual(['later']);
    expect(ms).toBeGreaterThan(300);
  });

  it('hands out several messages, each once', async () => {
    const { queue } = await fresh();
    const ids = await Promise.all(['a', 'b', 'c'].map((body) => queue.send(body)));

    const got = await receiveAll(queue, 3, 10);

    expect(got.map((m) => m.id).sort()).toEqual([...ids].sort());
    expect(got.map((m) => m.body).sort()).toEqual(['a', 'b', 'c']);
  });
});

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
