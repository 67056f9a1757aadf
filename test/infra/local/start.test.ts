import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '#infra/local/free-port.ts';
import { localDynamoDbClient } from '#infra/local/dynamodb-local.ts';
import { describeListener, isLoopback, processTree, tcpListenersOf } from '#test/support/listeners.ts';

const repoRoot = join(import.meta.dirname, '../../..');
const dataDirs: string[] = [];
afterAll(() => dataDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function tempDir(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dataDirs.push(dir);
  return dir;
}

/** Runs the local start exactly as `npm start` does, with its own environment. */
function start(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/start.ts'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME!, HUB_ADMIN_PASSWORD: 'local-run-test-password', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitFor(started: Started, text: string, ms = 150_000) {
  const deadline = Date.now() + ms;
  while (!started.output().includes(text)) {
    if (started.child.exitCode !== null) throw new Error(`exited early:\n${started.output()}`);
    if (Date.now() > deadline) throw new Error(`no "${text}" within ${ms} ms:\n${started.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function javaProcessesFor(dataDir: string): number {
  // Count java processes whose command line holds this data dir (DynamoDB Local's -dbPath).
  let count = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes('DynamoDBLocal') && cmd.includes(dataDir)) count++;
    } catch {
      /* gone */
    }
  }
  return count;
}

describe('npm start (the local run)', () => {
  it('serves the API on DynamoDB Local with data on disk, stops cleanly and keeps the data', async () => {
    const dataDir = tempDir('clusterhub-start-');
    const port = await freePort();
    const first = start({ PORT: String(port), HUB_DATA_DIR: dataDir });
    await waitFor(first, 'Press Ctrl-C');
    expect(first.output()).toContain(`http://127.0.0.1:${port}/api/v1`);
    expect(first.output()).toContain(`http://127.0.0.1:${port}/api/v1/docs`);
    const health = await (await fetch(`http://127.0.0.1:${port}/health`)).json();
    expect(health).toMatchObject({ status: 'healthy', services: { database: { status: 'up' } } });
    expect(existsSync(join(dataDir, 'dynamodb'))).toBe(true);

    // Write a marker straight into the table, to find it again after a restart.
    const endpoint = /"endpoint":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(first.output())![1]!;
    const db = localDynamoDbClient(endpoint);
    await db.send(new PutItemCommand({ TableName: 'clusterhub', Item: { pk: { S: 'MARKER' }, sk: { S: 'MARKER' }, v: { S: 'kept' } } }));
    db.destroy();

    expect(javaProcessesFor(dataDir)).toBe(1);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(javaProcessesFor(dataDir)).toBe(0);

    const second = start({ PORT: String(port), HUB_DATA_DIR: dataDir });
    await waitFor(second, 'Press Ctrl-C');
    expect(second.output()).toContain('table found');
    const endpoint2 = /"endpoint":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(second.output())![1]!;
    const db2 = localDynamoDbClient(endpoint2);
    const kept = await db2.send(new GetItemCommand({ TableName: 'clusterhub', Key: { pk: { S: 'MARKER' }, sk: { S: 'MARKER' } } }));
    db2.destroy();
    expect(kept.Item?.v?.S).toBe('kept');
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    expect(javaProcessesFor(dataDir)).toBe(0);
  }, 240_000);

  it.each([
    [{ PORT: 'eighty' }, /PORT="eighty" is not a port number/],
    [{ PORT: '70000' }, /PORT="70000" is not a port number/],
    [{ HUB_DATA_DIR: '/etc/hostname/data' }, /data directory \/etc\/hostname\/data cannot be written: point HUB_DATA_DIR/],
    [{ HUB_AUTH_MODE: 'sometimes' }, /HUB_AUTH_MODE="sometimes" is not valid/],
    [
      { HUB_AUTH_MODE: 'disabled', HUB_HOST: '0.0.0.0' },
      /HUB_AUTH_MODE=disabled makes every caller an admin, so it is served on a loopback address only and HUB_HOST="0.0.0.0" is not one: unset HUB_HOST/,
    ],
    [{ HUB_AUTH_MODE: 'disabled', HUB_HOST: '192.168.1.20' }, /HUB_AUTH_MODE=disabled .* HUB_HOST="192\.168\.1\.20" is not one/],
  ])('stops with one clear sentence on bad configuration %o', async (env, message) => {
    const run = start({ HUB_DATA_DIR: tempDir('clusterhub-bad-'), ...env });
    expect(await run.exited).toBe(1);
    const lines = run.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });

  it('says how to fix a missing Java in one sentence', async () => {
    const run = start({ HUB_DATA_DIR: tempDir('clusterhub-nojava-'), PATH: dirname(process.execPath) });
    expect(await run.exited).toBe(1);
    expect(run.output().trim()).toMatch(/^clusterhub: DynamoDB Local needs Java 17 or later and no "java" is on PATH: install/);
  });
});

interface RawAnswer {
  status: number;
  contentType: string | undefined;
  body: string;
}

/**
 * One HTTP request over a socket to 127.0.0.1, with the headers exactly as given: a browser's
 * Host, Origin and Sec-Fetch-Site included, which fetch would not let a test set.
 */
function rawRequest(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<RawAnswer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...headers } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, contentType: res.headers['content-type'], body: text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('npm start, as seen from the network and from a browser', { timeout: 180_000 }, () => {
  let run: Started;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    // The mode in which a request that gets through acts as admin.
    run = start({ PORT: String(port), HUB_DATA_DIR: tempDir('clusterhub-origin-'), HUB_AUTH_MODE: 'disabled' });
    await waitFor(run, 'Press Ctrl-C');
  }, 240_000);
  afterAll(async () => {
    run.child.kill('SIGTERM');
    await run.exited;
  });

  it('listens on loopback addresses only: the API and DynamoDB Local', () => {
    const listeners = tcpListenersOf(processTree(run.child.pid!));
    const dynamodbPort = Number(/"endpoint":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(run.output())![1]);
    expect(listeners.map((l) => l.port)).toEqual(expect.arrayContaining([port, dynamodbPort]));
    expect(listeners.filter((l) => !isLoopback(l.address)).map(describeListener)).toEqual([]);
  });

  it('answers requests addressed to 127.0.0.1, localhost or [::1] on its port, and 421 to any other Host', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
      expect((await rawRequest(port, 'GET', '/api/v1/users', { host })).status, host).toBe(200);
    }
    // A page whose own name was rebound to 127.0.0.1 by DNS, and names that are not this server.
    for (const host of [`rebind.attacker.example:${port}`, 'localhost:1', `127.0.0.1.nip.io:${port}`]) {
      const answer = await rawRequest(port, 'GET', '/api/v1/users', { host });
      expect(answer.status, host).toBe(421);
      expect(answer.contentType).toBe('application/problem+json');
      expect(JSON.parse(answer.body)).toMatchObject({ status: 421, code: 'MISDIRECTED_REQUEST' });
      expect(answer.body).not.toContain('"items"');
    }
  });

  it('refuses a change sent from another web page with 403, and takes it from its own origin and from curl', async () => {
    const user = (name: string) => ({ username: name, password: 'long-enough-pass', role: 'admin' });
    const foreign: Record<string, string>[] = [
      { origin: 'http://attacker.example' },
      { origin: 'null' },
      { origin: `http://localhost:${port + 1}` },
      { 'sec-fetch-site': 'cross-site' },
    ];
    for (const [i, headers] of foreign.entries()) {
      const answer = await rawRequest(port, 'POST', '/api/v1/users', headers, user(`cross-site-${i}`));
      expect(answer.status, JSON.stringify(headers)).toBe(403);
      expect(answer.contentType).toBe('application/problem+json');
      expect(JSON.parse(answer.body)).toMatchObject({ status: 403, code: 'CROSS_ORIGIN_REQUEST' });
    }
    const sameOrigin = await rawRequest(
      port,
      'POST',
      '/api/v1/users',
      { origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin' },
      user('same-origin'),
    );
    expect(sameOrigin.status).toBe(201);
    const localhostPage = await rawRequest(
      port,
      'POST',
      '/api/v1/users',
      { host: `localhost:${port}`, origin: `http://localhost:${port}` },
      user('localhost-page'),
    );
    expect(localhostPage.status).toBe(201);
    const curl = await rawRequest(port, 'POST', '/api/v1/users', {}, user('from-curl'));
    expect(curl.status).toBe(201);

    const names = (JSON.parse((await rawRequest(port, 'GET', '/api/v1/users')).body) as { items: { username: string }[] }).items.map((u) => u.username);
    expect(names).toEqual(expect.arrayContaining(['same-origin', 'localhost-page', 'from-curl']));
    expect(names.filter((n) => n.startsWith('cross-site'))).toEqual([]);
  });
});
