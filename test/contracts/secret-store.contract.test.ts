import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { inspect } from 'node:util';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSecretStore } from '#shared/adapters/local/file-secret-store.ts';
import { SecretsManagerSecretStore } from '#shared/adapters/secrets-manager/secrets-manager-secret-store.ts';
import { SecretNotFoundError } from '#shared/ports/secret-store.ts';
import { awsTargets } from './backend.ts';
import { secretStoreContract, type SecretStoreAdapter } from './secret-store-contract.ts';

// The contract itself is secret-store-contract.ts; here it runs on Secrets Manager (each emulator of the test bed) and on disk.

const adapters: SecretStoreAdapter[] = [
  ...awsTargets().map((target): SecretStoreAdapter => ({
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

describe.each(adapters)('SecretStore contract: $name', secretStoreContract);

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
