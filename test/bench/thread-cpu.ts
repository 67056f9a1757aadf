/**
 * This thread's CPU time, and how much of it the AWS SDK's commands take: the measure of "time
 * outside I/O" the warm-path rows report. Thread CPU rather than event-loop utilization, because
 * on a shared machine the loop also counts as busy while its thread waits for a core.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

const cpuMs = () => {
  const { user, system } = process.threadCpuUsage();
  return (user + system) / 1000;
};

type Send = (this: unknown, ...args: unknown[]) => Promise<unknown>;

/** The prototype every SDK v3 client (DynamoDB, its document client, Secrets Manager) inherits `send` from. */
function sdkClientBase(): { send: Send } {
  let proto: object | null = DynamoDBClient.prototype;
  while (proto && !Object.prototype.hasOwnProperty.call(proto, 'send')) proto = Object.getPrototypeOf(proto) as object | null;
  if (!proto) throw new Error('no send() on the SDK client prototypes');
  return proto as { send: Send };
}

export interface CpuSplit {
  /** This thread's CPU time per call, milliseconds. */
  total: number;
  /** Of it, the time inside the SDK's send(): building, signing and sending each command, reading its answer. */
  sdk: number;
  /** The rest: the hub's code, Hono, the Lambda adapter. */
  outside: number;
}

/**
 * Runs `fn` `times` times in sequence and splits this thread's CPU time per call into the part
 * spent inside SDK commands (from each send() until its promise settles; overlapping commands
 * counted once) and the rest. Other work of this process (the local server's own fetches) must
 * not run meanwhile.
 */
export async function splitThreadCpu(fn: () => Promise<unknown>, times: number): Promise<CpuSplit> {
  const base = sdkClientBase();
  const original = base.send;
  let inFlight = 0;
  let openedAt = 0;
  let sdk = 0;
  base.send = function (this: unknown, ...args: unknown[]) {
    if (inFlight++ === 0) openedAt = cpuMs();
    return original.apply(this, args).finally(() => {
      if (--inFlight === 0) sdk += cpuMs() - openedAt;
    });
  };
  try {
    const started = cpuMs();
    for (let i = 0; i < times; i++) await fn();
    const total = cpuMs() - started;
    return { total: total / times, sdk: sdk / times, outside: (total - sdk) / times };
  } finally {
    base.send = original;
  }
}
