import { serve, type ServerType } from '@hono/node-server';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { ScanCommand, type AttributeValue, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { endpointGroups } from '#shared/api/catalog.ts';
import { createApi, type EndpointGroup } from '#shared/http/app.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { startLocalRuntime } from '#infra/local/local-runtime.ts';
import { localDynamoDbClient, startDynamoDbLocal, type RunningDynamoDb } from '#infra/local/dynamodb-local.ts';
import type { Clock } from '#shared/ports/clock.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import type { JobQueue } from '#shared/workers/background.ts';
import { ADMIN_PASSWORD } from './identity.ts';
import { findLeaks, leakError, rememberedSecret, testbedClusterSecrets, type Exposure, type KnownSecret } from './leak-sweep.ts';

export interface TestHub {
  /** http://127.0.0.1:port */
  url: string;
  deps: Dependencies;
  /** Every log line the hub wrote, to search for leaks. */
  logs: string[];
  /** Its DynamoDB table and its data directory (the local secret store lives there). */
  tableName: string;
  dataDir: string;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /**
   * Adds a secret a test came to know (a service-account token read from a cluster) to those the
   * leak sweep looks for; `kind` names it in a finding (the value is never printed).
   */
  rememberSecret(value: string, kind?: string): void;
  /**
   * The leak sweep: throws when a response body or header this hub returned through `fetch`, a
   * log line it wrote or an item of its table contains a test bed cluster credential or a
   * remembered secret. `stop` runs it last, after cleaning up.
   */
  assertNoLeaks(): Promise<void>;
  /** Stops the hub; throws if the leak sweep finds a credential. */
  stop(): Promise<void>;
}

/**
 * The one sanctioned way a credential leaves the hub: an admin's kubeconfig export, answered as
 * an attachment. Its body is left out of the sweep (its headers are not).
 */
const SANCTIONED_EXPORT = /^\/api\/v1\/clusters\/[^/?#]+\/kubeconfig(?:[?#]|$)/;
const isSanctionedExport = (method: string, path: string, res: Response) =>
  method === 'GET' && SANCTIONED_EXPORT.test(path) && res.status === 200 && /attachment/i.test(res.headers.get('content-disposition') ?? '');

/** How long stop waits for response bodies still streaming before it sweeps what arrived. */
const BODY_DRAIN_MS = 2_000;

/** The remembered secrets of a hub's deployment, shared with its other instances. */
const rememberedByTable = new Map<string, KnownSecret[]>();

/** Every string of a stored item (the sweep's view of a table item). */
function itemText(item: Record<string, AttributeValue>): string {
  return JSON.stringify(item, (_key, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value));
}

// Tests log in far more often than people do; the rate-limit tests set their own low limits.
const GENEROUS_LIMITS = {
  HUB_RATE_LIMIT_AUTH_PER_MINUTE: '10000',
  HUB_RATE_LIMIT_READ_PER_MINUTE: '10000',
  HUB_RATE_LIMIT_WRITE_PER_MINUTE: '10000',
  HUB_RATE_LIMIT_EXEC_PER_MINUTE: '10000',
};

export interface TestHubOptions {
  /**
   * Start another instance of that hub's deployment, as a second Lambda instance: the same table
   * and the same secret store, its own process state. Stopping it leaves the stores to their owner.
   */
  instanceOf?: TestHub;
  /** The DynamoDB to use; the test bed's (AWS_ENDPOINT_URL_DYNAMODB) unless given. */
  dynamodbEndpoint?: string;
  /** The hub's clock, the system's unless given (see {@link movableClock}). */
  clock?: Clock;
  /** The job queues (in process unless given; test/support/job-queues.ts makes them on moto's SQS). */
  jobQueues?: () => JobQueue[];
  /** Endpoint groups served beside the product's (a test-only route that starts an operation). */
  extraGroups?: (deps: Dependencies) => EndpointGroup[];
}

/** The system's time plus an offset the test moves forward, to step one instance past a cache window. */
export function movableClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms) => void (offset += ms) };
}

/**
 * The local app over real HTTP, on the test bed's DynamoDB Local with a table
 * of its own, so test files never see each other's data.
 */
export async function startTestHub(env: Record<string, string> = {}, options: TestHubOptions = {}): Promise<TestHub> {
  const owner = options.instanceOf;
  const dataDir = owner?.dataDir ?? mkdtempSync(join(tmpdir(), 'clusterhub-test-'));
  const tableName = owner?.tableName ?? env.HUB_TABLE_NAME ?? `test-${randomUUID()}`;
  const logs: string[] = [];
  const exposures: Exposure[] = [];
  const reading = new Set<{ done: Promise<void>; reader: ReadableStreamDefaultReader<Uint8Array> }>();
  const remembered = rememberedByTable.get(tableName) ?? [];
  rememberedByTable.set(tableName, remembered);
  const sweepEndpoint = options.dynamodbEndpoint ?? process.env.AWS_ENDPOINT_URL_DYNAMODB;
  const logger = createLogger({ service: 'clusterhub-test' }, { level: 'debug', write: (line) => logs.push(line) });
  const runtime = await startLocalRuntime({
    dataDir,
    dynamodbEndpoint: sweepEndpoint,
    env: { HUB_ADMIN_PASSWORD: ADMIN_PASSWORD, ...GENEROUS_LIMITS, ...env, HUB_TABLE_NAME: tableName },
    logger,
    clock: options.clock,
    jobQueues: options.jobQueues,
  });
  const app = createApi([...endpointGroups(runtime.deps), ...(options.extraGroups?.(runtime.deps) ?? [])], logger);
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  /** Keeps a copy of what the hub answered: headers now, the body as it streams (read from a clone). */
  const record = (method: string, path: string, res: Response) => {
    const at = `response ${exposures.length + 1} (${method} ${path.split('?')[0]} -> ${res.status})`;
    for (const [name, value] of res.headers) exposures.push({ where: `header ${name} of ${at}`, text: value });
    if (!res.body || isSanctionedExport(method, path, res)) return;
    const exposure = { where: `body of ${at}`, text: '' };
    exposures.push(exposure);
    const reader = res.clone().body!.getReader();
    const decoder = new TextDecoder();
    const drain = async () => {
      try {
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) exposure.text += decoder.decode(chunk.value, { stream: true });
        exposure.text += decoder.decode();
      } catch {
        // The test aborted the request or stop cancelled the stream: sweep what arrived.
      }
    };
    const entry = { reader, done: drain() };
    void entry.done.finally(() => reading.delete(entry));
    reading.add(entry);
  };

  /** Waits a little for bodies still streaming, then cancels them. */
  const drainBodies = async () => {
    const pending = [...reading];
    if (pending.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(pending.map((p) => p.done)), new Promise((r) => (timer = setTimeout(r, BODY_DRAIN_MS)))]);
    clearTimeout(timer);
    await Promise.all([...reading].map((p) => p.reader.cancel().catch(() => undefined)));
  };

  /** Every item of the table (only the deployment's owner sweeps it; a test bed table is small). */
  const tableExposures = async (): Promise<Exposure[]> => {
    if (owner || !sweepEndpoint) return [];
    const client = localDynamoDbClient(sweepEndpoint);
    const found: Exposure[] = [];
    try {
      let start: ScanCommandOutput['LastEvaluatedKey'];
      do {
        const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
        for (const item of page.Items ?? []) found.push({ where: `table item ${item.pk?.S ?? '?'} / ${item.sk?.S ?? '?'}`, text: itemText(item) });
        start = page.LastEvaluatedKey;
      } while (start);
    } catch {
      // The table is gone or its database was stopped by the test: nothing left to sweep there.
    } finally {
      client.destroy();
    }
    return found;
  };

  const sweep = async () => {
    await drainBodies();
    const places = [...exposures, ...logs.map((text, i) => ({ where: `log line ${i + 1}`, text })), ...(await tableExposures())];
    const findings = findLeaks([...testbedClusterSecrets(), ...remembered], places);
    if (findings.length > 0) throw leakError(findings);
  };

  return {
    url,
    deps: runtime.deps,
    logs,
    tableName,
    dataDir,
    fetch: async (path, init) => {
      const res = await fetch(url + path, init);
      record((init?.method ?? 'GET').toUpperCase(), path, res);
      return res;
    },
    rememberSecret: (value, kind = 'a secret the test remembered') => {
      remembered.push(rememberedSecret(value, kind));
    },
    assertNoLeaks: sweep,
    stop: async () => {
      // Sweep before the server closes (a body still streaming would keep it open), report after cleaning up.
      const swept = await sweep().then(
        () => undefined,
        (err: unknown) => err,
      );
      await new Promise((resolve) => server.close(resolve));
      await runtime.stop();
      if (!owner) {
        rmSync(dataDir, { recursive: true, force: true });
        rememberedByTable.delete(tableName);
      }
      if (swept) throw swept;
    },
  };
}

/** A hub on a DynamoDB Local of its own, for tests that stop the database under it. Stop both. */
export async function startTestHubOnOwnDatabase(): Promise<{ hub: TestHub; database: RunningDynamoDb }> {
  const database = await startDynamoDbLocal({});
  try {
    return { hub: await startTestHub({}, { dynamodbEndpoint: database.endpoint }), database };
  } catch (err) {
    await database.stop();
    throw err;
  }
}
