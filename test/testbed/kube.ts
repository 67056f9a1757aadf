/**
 * Real Kubernetes clusters for the test suite: builds the project's `kube-env` binary
 * (kube-apiserver, kube-controller-manager, kube-scheduler and an embedded etcd from the
 * k8s.io/kubernetes v1.33.7 Go modules, see test/kube-env) and kwok, caches both outside the
 * repository, and runs `kube-env up` as a detached process group.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestCluster } from './env.ts';
import { sleep, stopProcessGroup } from './process-group.ts';

/** The Go module of test/kube-env. */
export const kubeEnvSourceDir = resolve(import.meta.dirname, '../kube-env');
export const kwokVersion = 'v0.7.0';
const kwokPackage = `sigs.k8s.io/kwok/cmd/kwok@${kwokVersion}`;

/** `${CLUSTERHUB_CACHE_DIR:-$XDG_CACHE_HOME/clusterhub or ~/.cache/clusterhub}` */
export function cacheDir(): string {
  const explicit = process.env['CLUSTERHUB_CACHE_DIR'];
  if (explicit) return resolve(explicit);
  const xdg = process.env['XDG_CACHE_HOME'];
  return xdg ? join(resolve(xdg), 'clusterhub') : join(homedir(), '.cache', 'clusterhub');
}

interface RunResult {
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(file, args, { ...opts, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const e = err as NodeJS.ErrnoException & { stderr?: string };
        e.stderr = stderr;
        reject(e);
      } else {
        resolvePromise({ stdout, stderr });
      }
    });
  });
}

const noGoMessage =
  'Building the Kubernetes test bed (test/kube-env and kwok) needs the Go toolchain, but no working `go` was found ' +
  '(tried $GO, PATH and /usr/local/go/bin/go): install Go, or set CLUSTERHUB_TEST_KUBECONFIG ' +
  'to the kubeconfig of an existing cluster to run the tests against that cluster instead.';

/** Finds a working `go` ($GO, then PATH, then /usr/local/go/bin/go) and its version line. */
async function findGo(): Promise<{ go: string; version: string }> {
  const candidates = [process.env['GO'], 'go', '/usr/local/go/bin/go'].filter((c): c is string => !!c);
  for (const go of candidates) {
    try {
      const { stdout } = await run(go, ['version'], { env: goEnv() });
      return { go, version: stdout.trim() };
    } catch {
      // try the next one
    }
  }
  throw new Error(noGoMessage);
}

function goEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // GOTOOLCHAIN=local: never download another toolchain. The build and module caches stay
  // Go's defaults (~/.cache/go-build, ~/go/pkg/mod), outside the repository and shared.
  return { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', ...extra };
}

/** Hash of the kube-env sources (go.mod, go.sum, *.go, ldflags.txt) and the Go version. */
async function kubeEnvHash(goVersion: string): Promise<string> {
  const names = (await readdir(kubeEnvSourceDir)).filter((n) => n === 'go.mod' || n === 'go.sum' || n === 'ldflags.txt' || n.endsWith('.go')).sort();
  const h = createHash('sha256');
  h.update(`${goVersion}\0`);
  for (const n of names) {
    h.update(`${n}\0`);
    h.update(await readFile(join(kubeEnvSourceDir, n)));
    h.update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/** Runs a long go command, logging a line every minute so a cold build does not look hung. */
async function runLogged(what: string, log: (line: string) => void, go: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<void> {
  const started = Date.now();
  const timer = setInterval(() => {
    log(`still ${what} (${Math.round((Date.now() - started) / 60_000)} min)`);
  }, 60_000);
  try {
    await run(go, args, opts);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    const detail = (e.stderr ?? '').trim().split('\n').slice(-30).join('\n');
    throw new Error(`${what} failed: ${e.message.split('\n')[0]}\n${detail}`, { cause: err });
  } finally {
    clearInterval(timer);
  }
  log(`${what}: done in ${Math.round((Date.now() - started) / 1000)} s`);
}

/**
 * Returns the paths of the kube-env and kwok binaries, building whichever is not cached yet.
 * Builds go to a temporary name in the cache directory and are renamed into place, so a
 * half-finished build is never used.
 */
export async function ensureKubeBinaries(log: (line: string) => void): Promise<{ kubeEnv: string; kwok: string }> {
  const root = cacheDir();
  const tmpSuffix = `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  let goInfo: { go: string; version: string } | undefined;
  const go = async () => (goInfo ??= await findGo());

  // kwok: kept out of the kube-env module (its dependencies would move Kubernetes' own).
  const kwokDir = join(root, 'kwok', kwokVersion);
  const kwok = join(kwokDir, 'kwok');
  if (!(await isFile(kwok))) {
    const { go: goBin } = await go();
    const gobin = join(kwokDir, tmpSuffix);
    await mkdir(gobin, { recursive: true });
    try {
      log(`building kwok ${kwokVersion} (first time, ~2 min)`);
      await runLogged(`building kwok ${kwokVersion}`, log, goBin, ['install', kwokPackage], {
        cwd: gobin,
        env: goEnv({ GOBIN: gobin, GOFLAGS: '-buildvcs=false' }),
      });
      await rename(join(gobin, 'kwok'), kwok);
    } finally {
      await rm(gobin, { recursive: true, force: true });
    }
  }

  const { go: goBin, version } = await go();
  const hash = await kubeEnvHash(version);
  const kubeEnvDir = join(root, 'kube-env', hash);
  const kubeEnv = join(kubeEnvDir, 'kube-env');
  if (!(await isFile(kubeEnv))) {
    await mkdir(kubeEnvDir, { recursive: true });
    const tmp = kubeEnv + tmpSuffix;
    const ldflags = readFileSync(join(kubeEnvSourceDir, 'ldflags.txt'), 'utf8').trim();
    try {
      log(`building kube-env ${hash} (first time: ~10 min on 2 cores with empty Go caches, seconds when only test/kube-env changed)`);
      await runLogged(`building kube-env ${hash}`, log, goBin, ['build', '-trimpath', '-ldflags', ldflags, '-o', tmp, '.'], {
        cwd: kubeEnvSourceDir,
        env: goEnv({ GOFLAGS: '-buildvcs=false -mod=readonly' }),
      });
      await rename(tmp, kubeEnv);
    } finally {
      await rm(tmp, { force: true });
    }
  }
  return { kubeEnv, kwok };
}

function tailOf(file: string, lines = 40): string {
  try {
    const text = readFileSync(file, 'utf8').trimEnd();
    return text.split('\n').slice(-lines).join('\n');
  } catch (err) {
    return `(no log: ${(err as Error).message})`;
  }
}

/**
 * Starts `kube-env up` for the named clusters as a detached process group writing its state
 * (certificates, kubeconfigs, etcd data, logs/) under `dir`, and resolves when every cluster
 * is ready (the launcher writes `dir/clusters.json`). The group keeps running after this
 * process exits: stop it with `stopClusters(pid)`.
 */
export async function startClusters(opts: {
  dir: string;
  names: string[];
  log: (line: string) => void;
  timeoutMs?: number;
}): Promise<{ clusters: TestCluster[]; pid: number }> {
  const { names, log } = opts;
  if (names.length === 0) throw new Error('startClusters: no cluster names');
  const timeoutMs = opts.timeoutMs ?? 180_000;
  const dir = resolve(opts.dir);
  const { kubeEnv, kwok } = await ensureKubeBinaries(log);

  const logsDir = join(dir, 'logs');
  await mkdir(logsDir, { recursive: true });
  const clustersFile = join(dir, 'clusters.json');
  await rm(clustersFile, { force: true });
  const launcherLog = join(logsDir, 'launcher.log');
  const fd = openSync(launcherLog, 'w');
  const child = (() => {
    try {
      return spawn(kubeEnv, ['up', '--dir', dir, '--clusters', names.join(','), '--kwok', kwok], {
        detached: true, // own process group: stopClusters signals the whole group
        stdio: ['ignore', fd, fd],
        cwd: dir,
      });
    } finally {
      closeSync(fd); // the child has its own copy
    }
  })();
  const pid = child.pid;
  if (pid === undefined) {
    const err = await new Promise<Error>((r) => child.once('error', r));
    throw new Error(`could not start ${kubeEnv}: ${err.message}`);
  }
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = signal ? `signal ${signal}` : `exit code ${code}`;
  });
  child.unref();
  log(`kube-env up (pid ${pid}) starting clusters ${names.join(', ')}; log ${launcherLog}`);

  const started = Date.now();
  for (;;) {
    if (existsSync(clustersFile)) {
      const clusters = JSON.parse(await readFile(clustersFile, 'utf8')) as TestCluster[];
      log(`clusters ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${clusters.map((c) => `${c.name} ${c.server}`).join(', ')}`);
      return { clusters, pid };
    }
    if (exited !== undefined || Date.now() - started > timeoutMs) {
      const why = exited !== undefined ? `exited (${exited})` : `was not ready after ${timeoutMs / 1000} s`;
      await stopClusters(pid);
      throw new Error(`kube-env up ${why}; the end of ${launcherLog}:\n${tailOf(launcherLog)}`);
    }
    await sleep(250);
  }
}

/** SIGTERM to the launcher's process group, SIGKILL after ~15 s; resolves when it is gone. */
export function stopClusters(pid: number): Promise<void> {
  return stopProcessGroup(pid, 15_000);
}
