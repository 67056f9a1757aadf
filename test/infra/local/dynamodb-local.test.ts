/**
 * DynamoDB Local, started the ways the local run, the test hubs and the test bed start it,
 * listens on 127.0.0.1 only (it checks no credentials: on any other address the network could
 * read and write the hub's table), and one that is not detached ends with the process that
 * started it, however that process ended.
 */
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localDynamoDbClient, startDynamoDbLocal, type RunningDynamoDb } from '#infra/local/dynamodb-local.ts';
import { describeListener, isLoopback, processTree, tcpListenersOf } from '#test/support/listeners.ts';
import { isZombie, sleep } from '#test/testbed/process-group.ts';

const repoRoot = join(import.meta.dirname, '../../..');
const started: RunningDynamoDb[] = [];
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(started.map((db) => db.stop()));
  dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

async function listensOnLoopbackOnly(db: RunningDynamoDb) {
  const listeners = tcpListenersOf(processTree(db.pid));
  expect(listeners.map((l) => l.port)).toContain(Number(new URL(db.endpoint).port));
  expect(listeners.filter((l) => !isLoopback(l.address)).map(describeListener)).toEqual([]);
  const client = localDynamoDbClient(db.endpoint);
  try {
    await expect(client.send(new ListTablesCommand({}))).resolves.toMatchObject({ TableNames: expect.any(Array) });
  } finally {
    client.destroy();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return !isZombie(pid);
}

describe('DynamoDB Local', { timeout: 180_000 }, () => {
  it('listens on 127.0.0.1 only, with its data on disk (npm start)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'clusterhub-ddb-'));
    dirs.push(dataDir);
    const db = await startDynamoDbLocal({ dataDir });
    started.push(db);
    expect(db.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await listensOnLoopbackOnly(db);
  });

  it('listens on 127.0.0.1 only, detached and in memory (the test bed)', async () => {
    const db = await startDynamoDbLocal({ detached: true });
    started.push(db);
    await listensOnLoopbackOnly(db);
  });

  it('ends with the process that started it, even when that one is killed', async () => {
    const parent = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        "const { startDynamoDbLocal } = await import('#infra/local/dynamodb-local.ts'); const db = await startDynamoDbLocal({}); console.log(JSON.stringify({ pid: db.pid })); setInterval(() => {}, 1000);",
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const pid = await new Promise<number>((resolve, reject) => {
      let out = '';
      parent.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /\{"pid":(\d+)\}/.exec(out);
        if (match) resolve(Number(match[1]));
      });
      parent.on('exit', (code) => reject(new Error(`the parent exited (${code}) before DynamoDB Local started`)));
    });
    expect(alive(pid)).toBe(true);
    parent.kill('SIGKILL');
    // Waiting for the exit, without a bound on how long it may take: a deadline only ends the wait.
    for (const deadline = Date.now() + 30_000; alive(pid) && Date.now() < deadline;) await sleep(100);
    expect(alive(pid), `DynamoDB Local (pid ${pid}) outlived the process that started it`).toBe(false);
  });
});
