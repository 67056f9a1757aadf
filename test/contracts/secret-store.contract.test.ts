import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { inspect } from 'node:util';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSecretStore } from '#shared/adapters/local/file-secret-store.ts';
import { SecretsManagerSecretStore } from '#shared/adapters/secrets-manager/secrets-manager-secret-store.ts';
import { SecretNotFoundError, type SecretStore } from '#shared/ports/secret-store.ts';
import { awsTargets, reportMissingBackend } from './backend.ts';

/**
 * Every SecretStore adapter passes these same assertions, so the local run
 * keeps credentials the way production does.
 */

interface Subject {
  store: SecretStore;
  /** The same adapter over a backend that fails every call (no server, an unusable directory). */
  broken: SecretStore;
  cleanup(): Promise<void>;
}

interface Adapter {
  name: string;
  /** Why this adapter cannot run here; the suite fails in CI and skips elsewhere. */
  unavailable?: string;
  /** What a ref looks like, for the assertion that put returns one. */
  refPattern: RegExp;
  make(): Promise<Subject>;
}

const run = randomUUID().slice(0, 8);
let counter = 0;
/** A name no other test or run uses, so suites can share one emulator. */
const uniqueName = (label: string) => `contract-${run}/${label}-${++counter}`;

const kubeconfig = ['apiVersion: v1', 'kind: Config', 'users:', '- name: admin', `  user: { token: "tok-${randomUUID()}-ümlaut-✓" }`, ''].join('\n');

const adapters: Adapter[] = [
  ...awsTargets().map((target): Adapter => ({
    name: `SecretsManagerSecretStore on ${target.name}`,
    unavailable: target.unavailable,
    refPattern: /^arn:aws:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/,
    async make() {
      const store = new SecretsManagerSecretStore(new SecretsManagerClient(target.client));
      // Port 1 on loopback: connection refused at once, no retries to wait for.
      const deadClient = new SecretsManagerClient({ endpoint: 'http://127.0.0.1:1', maxAttempts: 1 });
      return {
        store,
        broken: new SecretsManagerSecretStore(deadClient),
        async cleanup() {
          deadClient.destroy();
        },
      };
    },
  })),
  {
    name: 'FileSecretStore',
    refPattern: /^local-secret:.+$/,
    async make() {
      const root = await mkdtemp(join(tmpdir(), 'clusterhub-secrets-'));
      const notADir = join(root, 'plain-file');
      await writeFile(notADir, '');
      return {
        store: new FileSecretStore(join(root, 'secrets')),
        broken: new FileSecretStore(join(notADir, 'secrets')),
        cleanup: () => rm(root, { recursive: true, force: true }),
      };
    },
  },
];

describe.each(adapters)('SecretStore contract: $name', (adapter) => {
  if (reportMissingBackend(adapter.name, adapter.unavailable)) return;

  let subject: Subject;
  const created: string[] = [];
  /** Puts a secret under a fresh name and remembers it for cleanup. */
  const putNew = async (label: string, value: string) => {
    const name = uniqueName(label);
    created.push(name);
    return { name, ref: await subject.store.put(name, value) };
  };

  beforeAll(async () => {
    subject = await adapter.make();
  });
  afterAll(async () => {
    await Promise.all(created.map((name) => subject.store.delete(name)));
    await subject.cleanup();
  });

  it('returns a ref from put and reads the value back by ref and by name', async () => {
    const { name, ref } = await putNew('kubeconfig', kubeconfig);

    expect(ref).toMatch(adapter.refPattern);
    expect(await subject.store.get(ref)).toBe(kubeconfig);
    expect(await subject.store.get(name)).toBe(kubeconfig);
  });

  it('replaces the value under the same ref when put again', async () => {
    const { name, ref } = await putNew('rotated', 'first');

    const again = await subject.store.put(name, 'second');

    expect(again).toBe(ref);
    expect(await subject.store.get(ref)).toBe('second');
    expect(await subject.store.get(name)).toBe('second');
  });

  it('creates a secret only when absent: a second create keeps the first value and returns false', async () => {
    const name = uniqueName('created-once');
    created.push(name);

    const first = await subject.store.create(name, 'first');
    const second = await subject.store.create(name, 'second');

    expect(first).toBe(true);
    expect(second).toBe(false);
    expect(await subject.store.get(name)).toBe('first');
  });

  it('lets exactly one of several racing creates win, and keeps its value whole', async () => {
    const name = uniqueName('created-racing');
    created.push(name);
    const values = ['a', 'b', 'c', 'd'].map((v) => `${v}-${randomUUID()}`);

    const results = await Promise.all(values.map((value) => subject.store.create(name, value)));

    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await subject.store.get(name)).toBe(values[results.indexOf(true)]);
  });

  it('does not create over a secret that put wrote', async () => {
    const { name } = await putNew('put-then-create', 'kept');

    expect(await subject.store.create(name, 'replaced')).toBe(false);
    expect(await subject.store.get(name)).toBe('kept');
  });

  it('deletes by ref at once, and deleting again is not an error', async () => {
    const { name, ref } = await putNew('deleted-by-ref', 'gone soon');

    await subject.store.delete(ref);

    await expect(subject.store.get(ref)).rejects.toBeInstanceOf(SecretNotFoundError);
    await expect(subject.store.get(name)).rejects.toBeInstanceOf(SecretNotFoundError);
    await expect(subject.store.delete(ref)).resolves.toBeUndefined();
  });

  it('deletes by name', async () => {
    const { name, ref } = await putNew('deleted-by-name', 'gone soon');

    await subject.store.delete(name);

    await expect(subject.store.get(ref)).rejects.toBeInstanceOf(SecretNotFoundError);
  });

  it('throws SecretNotFoundError carrying the ref for a secret that never existed', async () => {
    const name = uniqueName('never-created');

    const error = await subject.store.get(name).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SecretNotFoundError);
    expect((error as SecretNotFoundError).ref).toBe(name);
    await expect(subject.store.delete(name)).resolves.toBeUndefined();
  });

  it('keeps names made of dots and slashes distinct', async () => {
    const names = [`../${run}-up`, `contract-${run}/../x`, `contract-${run}/./x`, `contract-${run}/x`, `contract-${run}/.x`];
    created.push(...names);

    const refs = await Promise.all(names.map((name, i) => subject.store.put(name, `value-${i}`)));

    expect(new Set(refs).size).toBe(names.length);
    for (const [i, ref] of refs.entries()) expect(await subject.store.get(ref)).toBe(`value-${i}`);
  });

  it('rejects a name that is not a valid secret name', async () => {
    await expect(subject.store.put('has space', 'v')).rejects.toThrow(/invalid secret name/);
    await expect(subject.store.put('', 'v')).rejects.toThrow(/invalid secret name/);
    await expect(subject.store.create('has space', 'v')).rejects.toThrow(/invalid secret name/);
  });

  it('never puts the value in an error', async () => {
    const value = `s3cr3t-${randomUUID()}`;
    const failures = [
      await subject.store.put('not valid!', value).catch((e: unknown) => e),
      await subject.broken.put(uniqueName('broken'), value).catch((e: unknown) => e),
      await subject.broken.create(uniqueName('broken-create'), value).catch((e: unknown) => e),
    ];

    for (const error of failures) {
      expect(error).toBeInstanceOf(Error);
      expect(String(error)).not.toContain(value);
      // The whole object, cause chain and AWS metadata included, as a logger would print it.
      expect(inspect(error, { depth: 10 })).not.toContain(value);
    }
  });
});

describe('FileSecretStore on disk', () => {
  let root: string;
  let dir: string;
  let store: FileSecretStore;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'clusterhub-secrets-'));
    dir = join(root, 'secrets');
    store = new FileSecretStore(dir);
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  /** Every file below `from`, as paths relative to it. */
  const walk = async (from: string): Promise<string[]> =>
    (await readdir(from, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => relative(from, join(e.parentPath, e.name)));

  it('keeps names that try to climb out of the directory inside it', async () => {
    const names = ['..', '.', '../x', '../../etc/passwd', '/etc/passwd', 'a/../../b', '.hidden', '....//x'];

    for (const [i, name] of names.entries()) expect(await store.put(name, `v${i}`)).toBe(`local-secret:${name}`);

    const files = await walk(root);
    expect(files).toHaveLength(names.length);
    for (const file of files) {
      expect(file.startsWith(`secrets${sep}`)).toBe(true);
      expect(file.split(sep)).toHaveLength(2);
    }
    for (const [i, name] of names.entries()) expect(await store.get(name)).toBe(`v${i}`);
  });

  it('makes the directory 0700 and every secret file 0600, with no temp file left', async () => {
    await store.put('modes', 'value');
    await store.create('modes-created', 'value');
    await store.create('modes-created', 'again');

    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const entries = await readdir(dir);
    expect(entries.filter((e) => e.startsWith('.'))).toEqual([]);
    for (const entry of entries) expect((await stat(join(dir, entry))).mode & 0o777).toBe(0o600);
  });

  it('reads a ref of another store layout as missing rather than as a path', async () => {
    await expect(store.get('local-secret:has space')).rejects.toBeInstanceOf(SecretNotFoundError);
    await expect(store.get('arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf')).rejects.toBeInstanceOf(SecretNotFoundError);
  });
});

describe('SecretsManagerSecretStore errors', () => {
  it('scrubs the value from an AWS error that echoes it, and drops that error as cause', async () => {
    // A stand-in for a service answer no emulator gives on demand: an error quoting the request.
    const value = `s3cr3t-${randomUUID()}`;
    const echoing = {
      send: async () => {
        throw Object.assign(new Error(`ValidationException: bad SecretString ${value}`), { name: 'ValidationException' });
      },
    } as unknown as SecretsManagerClient;

    const error = await new SecretsManagerSecretStore(echoing).put('x', value).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('ValidationException');
    expect(inspect(error, { depth: 10 })).not.toContain(value);
  });
});
