import { serve, type ServerType } from '@hono/node-server';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { endpointGroups } from '#shared/api/catalog.ts';
import { createApi } from '#shared/http/app.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { startLocalRuntime } from '#infra/local/local-runtime.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import { ADMIN_PASSWORD } from './identity.ts';

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
  stop(): Promise<void>;
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
  const logger = createLogger({ service: 'clusterhub-test' }, { level: 'debug', write: (line) => logs.push(line) });
  const runtime = await startLocalRuntime({
    dataDir,
    dynamodbEndpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB,
    env: { HUB_ADMIN_PASSWORD: ADMIN_PASSWORD, ...GENEROUS_LIMITS, ...env, HUB_TABLE_NAME: tableName },
    logger,
  });
  const app = createApi(endpointGroups(runtime.deps), logger);
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    url,
    deps: runtime.deps,
    logs,
    tableName,
    dataDir,
    fetch: (path, init) => fetch(url + path, init),
    stop: async () => {
      await new Promise((resolve) => server.close(resolve));
      await runtime.stop();
      if (!owner) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
