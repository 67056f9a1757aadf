import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { testbedDir } from './env.ts';
import { stopProcessGroup } from './process-group.ts';

/**
 * moto in server mode stands in for SQS, Secrets Manager, EventBridge,
 * EventBridge Scheduler and STS on one local port. It comes from PyPI into a
 * project-local virtualenv, so the tests need neither Docker nor an AWS account.
 * The same virtualenv holds the Python tools the API tests run (schemathesis,
 * openapi-python-client), all pinned in requirements.txt.
 */

type Log = (line: string) => void;

const repoRoot = resolve(import.meta.dirname, '../..');
const venvDir = resolve(repoRoot, '.venv');
const venvPython = resolve(venvDir, 'bin', 'python');
const motoServerBin = resolve(venvDir, 'bin', 'moto_server');
const requirementsFile = resolve(import.meta.dirname, 'requirements.txt');
/** Holds the hash of the requirements the venv was last installed from. */
const markerFile = resolve(venvDir, '.clusterhub-requirements.sha256');

const emulatorHint =
  'or set AWS_ENDPOINT_URL to an AWS emulator that is already running (for example LocalStack at http://localhost:4566) and the tests will use it instead';

/** Runs a command to completion, streaming its output lines to `log`; resolves with the exit code. */
export function run(command: string, args: string[], log: Log, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    const forward = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) log(line.trimEnd());
    };
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    child.on('error', reject);
    child.on('close', (code) => resolvePromise(code ?? 1));
  });
}

/** Whether `python` answers at all (a venv whose base interpreter was removed does not). */
export async function pythonWorks(python: string): Promise<boolean> {
  try {
    return (await run(python, ['-c', 'pass'], () => {})) === 0;
  } catch {
    return false;
  }
}

/** Whether ./.venv was installed from requirements.txt as it is now, and still works. */
async function venvCurrent(wanted: string): Promise<boolean> {
  const installed = await readFile(markerFile, 'utf8').catch(() => '');
  return installed.trim() === wanted && existsSync(motoServerBin) && (await pythonWorks(venvPython));
}

/** Where the process installing into a virtualenv says so (outside the venv, which an install may remove). */
const installLockOf = (dir: string) => join(tmpdir(), `clusterhub-venv-${createHash('sha256').update(dir).digest('hex').slice(0, 12)}.lock`);
/** pip may take minutes on a cold cache; a waiter gives up after this. */
const installLockWaitMs = 15 * 60_000;

const processAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Runs `install` while holding a lock on the virtualenv `dir`, so that test files in parallel workers
 * (each making sure of the tools it runs) never run pip into the same virtualenv at once. A lock whose
 * process has died is taken over.
 */
export async function withInstallLock<T>(dir: string, log: Log, install: () => Promise<T>): Promise<T> {
  const installLock = installLockOf(dir);
  const deadline = Date.now() + installLockWaitMs;
  let told = false;
  for (;;) {
    try {
      await mkdir(installLock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number(await readFile(join(installLock, 'pid'), 'utf8').catch(() => ''));
    if (owner && !processAlive(owner)) {
      await rm(installLock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline)
      throw new Error(`${dir} is still being installed by process ${owner || '?'} after ${installLockWaitMs / 60_000} minutes (lock ${installLock})`);
    if (!told) log(`waiting for another process to finish installing ${dir}`);
    told = true;
    await sleep(500);
  }
  try {
    await writeFile(join(installLock, 'pid'), String(process.pid));
    return await install();
  } finally {
    await rm(installLock, { recursive: true, force: true });
  }
}

/** The bin directory of ./.venv, installed from requirements.txt: moto_server, st (schemathesis), openapi-python-client, ruff. */
export async function ensurePythonTools(log: Log): Promise<string> {
  await ensureMoto(log);
  return resolve(venvDir, 'bin');
}

/** Installs moto (and the rest of requirements.txt) into ./.venv unless it already matches; returns the moto_server path. */
export async function ensureMoto(log: Log): Promise<string> {
  const requirements = await readFile(requirementsFile);
  const wanted = createHash('sha256').update(requirements).digest('hex');
  if (await venvCurrent(wanted)) return motoServerBin;
  return withInstallLock(venvDir, log, async () => {
    // Another process may have installed it while this one waited.
    if (await venvCurrent(wanted)) return motoServerBin;
    return installVenv(log, wanted);
  });
}

async function installVenv(log: Log, wanted: string): Promise<string> {
  if (!existsSync(venvPython) || !(await pythonWorks(venvPython))) {
    let found: number;
    try {
      found = await run('python3', ['-c', 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 3)'], log);
    } catch {
      throw new Error(`python3 was not found on PATH, so the test bed cannot install moto into ${venvDir}: install Python 3.9 or later, ${emulatorHint}.`);
    }
    if (found === 3) {
      throw new Error(
        `python3 on PATH is older than 3.9, which moto needs, so the test bed cannot install it into ${venvDir}: install Python 3.9 or later, ${emulatorHint}.`,
      );
    }
    if (found !== 0) {
      throw new Error(
        `python3 on PATH fails to run (exit ${found}, see the lines above), so the test bed cannot install moto into ${venvDir}: repair it (check PYTHONHOME and PYTHONPATH), ${emulatorHint}.`,
      );
    }
    if ((await run('python3', ['-c', 'import venv, ensurepip'], () => {})) !== 0) {
      throw new Error(
        `python3 lacks the venv/ensurepip modules, so the test bed cannot create ${venvDir} for moto: install them (python3-venv on Debian or Ubuntu), ${emulatorHint}.`,
      );
    }
    log(`creating virtualenv ${venvDir}`);
    await rm(venvDir, { recursive: true, force: true });
    if ((await run('python3', ['-m', 'venv', venvDir], log)) !== 0) {
      // A half-made venv would be mistaken for a good one next time.
      await rm(venvDir, { recursive: true, force: true });
      throw new Error(`python3 -m venv ${venvDir} failed (see the lines above), so moto cannot be installed: fix the Python installation, ${emulatorHint}.`);
    }
  }

  log(`installing moto and the test tools from ${requirementsFile}`);
  await rm(markerFile, { force: true });
  // No --no-cache-dir: pip's own cache makes a reinstall after a wiped venv cheap.
  const code = await run(
    venvPython,
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--progress-bar', 'off', '-r', requirementsFile],
    log,
  );
  if (code !== 0 || !existsSync(motoServerBin)) {
    throw new Error(`pip could not install moto into ${venvDir} (exit ${code}, see the lines above): check access to PyPI, ${emulatorHint}.`);
  }
  await writeFile(markerFile, wanted + '\n');
  return motoServerBin;
}

/** The port asked for is taken; with no port asked for, another one is tried. */
export class PortInUseError extends Error {}

/** Binds `port` (0: any) on loopback and lets it go: a free port, or PortInUseError. */
export function probePort(port: number): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(`port ${port} on 127.0.0.1 is already in use`) : error),
    );
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePromise(bound));
    });
  });
}

/** The last lines of a log file, for an error message. */
export async function tail(file: string, lines = 30): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Whether any process of the group `pid` still exists. */

export interface MotoServer {
  /** http://127.0.0.1:<port>, the value for AWS_ENDPOINT_URL. */
  endpoint: string;
  /** Leader of moto's own process group: pass to stopMoto. */
  pid: number;
  /** Where moto's stdout and stderr go. */
  logFile: string;
}

const startTimeoutMs = 30_000;

/** Starts moto_server detached on 127.0.0.1 (a free port unless given) and waits until it answers. */
export async function startMoto(opts: { log: Log; port?: number }): Promise<MotoServer> {
  const executable = await ensureMoto(opts.log);
  await mkdir(testbedDir, { recursive: true });
  // Another process may take a free port between our probe and moto's bind: try a few.
  const attempts = opts.port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    try {
      // Checked first so a server already on the port is never taken for ours.
      const port = await probePort(opts.port ?? 0);
      return await launch(executable, port, opts.log);
    } catch (error) {
      if (attempt >= attempts || !(error instanceof PortInUseError)) throw error;
      opts.log(`${error.message} (taken after the probe); trying another`);
    }
  }
}

async function launch(executable: string, port: number, log: Log): Promise<MotoServer> {
  const endpoint = `http://127.0.0.1:${port}`;
  const logFile = resolve(testbedDir, `moto-${port}.log`);
  // A file, not a pipe: moto outlives this process (detached) and must not block on a full pipe.
  const fd = openSync(logFile, 'w');
  const child = spawn(executable, ['-H', '127.0.0.1', '-p', String(port)], {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  closeSync(fd);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) {
    throw new Error(`moto_server at ${executable} could not be started: ${await tail(logFile)}`);
  }
  let exited: number | string | null | undefined;
  child.on('exit', (code, signal) => (exited = code ?? signal));
  child.on('error', (error) => (exited = error.message));

  log(`starting moto on ${endpoint} (pid ${pid}, log ${logFile})`);
  const deadline = Date.now() + startTimeoutMs;
  while (Date.now() < deadline) {
    if (exited !== undefined) break;
    // werkzeug announces the bind; without it an answer could come from another server.
    const bound = (await readFile(logFile, 'utf8').catch(() => '')).includes(`Running on ${endpoint}`);
    if (bound) {
      try {
        await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
        if (exited === undefined) {
          log(`moto is ready on ${endpoint}`);
          return { endpoint, pid, logFile };
        }
      } catch {
        // not answering yet
      }
    }
    await sleep(150);
  }
  await stopMoto(pid);
  const output = await tail(logFile);
  if (/address already in use/i.test(output)) throw new PortInUseError(`port ${port} is already in use`);
  const why = exited !== undefined ? `exited (${exited})` : `did not answer within ${startTimeoutMs / 1000} s`;
  throw new Error(`moto_server on ${endpoint} ${why}; last lines of ${logFile}:\n${output}`);
}

/** Stops moto's process group: SIGTERM, a grace period, then SIGKILL. */
export function stopMoto(pid: number): Promise<void> {
  return stopProcessGroup(pid, 5_000);
}
