import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SecretNotFoundError, type SecretStore } from '#shared/ports/secret-store.ts';
import { reportMissingBackend } from './backend.ts';

/**
 * Every SecretStore adapter passes these same assertions (secret-store.contract.test.ts; under a
 * deployed stack's prefix, data-stack-deploy.test.ts), so the local run keeps credentials the way
 * production does.
 */

export interface SecretStoreSubject {
  store: SecretStore;
  /** The same adapter over a backend that fails every call (no server, an unusable directory). */
  broken: SecretStore;
  cleanup(): Promise<void>;
}

export interface SecretStoreAdapter {
  name: string;
  /** Why this adapter cannot run here; the suite fails in CI and skips elsewhere. */
  unavailable?: string;
  /**
   * Put before every name the contract uses: a deployed stack's secret prefix, so that the contract writes
   * where the functions write (data-stack-deploy.test.ts). None elsewhere.
   */
  namePrefix?: string;
  /** What a ref looks like, for the assertion that put returns one. */
  refPattern: RegExp;
  make(): Promise<SecretStoreSubject>;
}

const run = randomUUID().slice(0, 8);
let counter = 0;

const kubeconfig = ['apiVersion: v1', 'kind: Config', 'users:', '- name: admin', `  user: { token: "tok-${randomUUID()}-ümlaut-✓" }`, ''].join('\n');

/** The contract's tests, declared inside the caller's describe. */
export function secretStoreContract(adapter: SecretStoreAdapter): void {
  if (reportMissingBackend(adapter.name, adapter.unavailable)) return;

  let subject: SecretStoreSubject;
  // Read when a name is made: a deployed stack's prefix is known only once its deploy (a beforeAll) ran.
  const prefix = () => adapter.namePrefix ?? '';
  /** A name no other test or run uses, so suites can share one emulator. */
  const uniqueName = (label: string) => `${prefix()}contract-${run}/${label}-${++counter}`;
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
    const names = [`../${run}-up`, `contract-${run}/../x`, `contract-${run}/./x`, `contract-${run}/x`, `contract-${run}/.x`].map(
      (name) => `${prefix()}${name}`,
    );
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
}
