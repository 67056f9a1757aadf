import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileBlobStore } from '#shared/adapters/local/file-blob-store.ts';
import { S3BlobStore } from '#shared/adapters/s3/s3-blob-store.ts';
import { BlobNotFoundError, type BlobStore } from '#shared/ports/blob-store.ts';
import { awsBackendMissing, reportMissingBackend } from './backend.ts';

/** Every BlobStore adapter passes these same assertions, so the local run keeps snapshots the way production does. */

interface Subject {
  store: BlobStore;
  cleanup(): Promise<void>;
}

const run = randomUUID().slice(0, 8);

const adapters: { name: string; unavailable?: string; make(): Promise<Subject> }[] = [
  {
    name: 'S3BlobStore',
    unavailable: awsBackendMissing(),
    async make() {
      // moto and LocalStack want path-style addressing: a bucket name is no host there.
      const client = new S3Client({ forcePathStyle: true });
      const bucket = `contract-${run}`;
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      return { store: new S3BlobStore(client, bucket, 'deployment-a/'), cleanup: async () => client.destroy() };
    },
  },
  {
    name: 'FileBlobStore',
    async make() {
      const root = await mkdtemp(join(tmpdir(), 'clusterhub-blobs-'));
      return { store: new FileBlobStore(join(root, 'blobs')), cleanup: () => rm(root, { recursive: true, force: true }) };
    },
  },
];

describe.each(adapters)('BlobStore contract: $name', (adapter) => {
  if (reportMissingBackend(adapter.name, adapter.unavailable)) return;

  let subject: Subject;
  beforeAll(async () => {
    subject = await adapter.make();
  });
  afterAll(async () => subject?.cleanup());

  it('reads back exactly the bytes it was given, binary ones included', async () => {
    const body = randomBytes(300_000);
    await subject.store.put(`inventory/${run}/binary.json.gz`, body, { contentType: 'application/gzip' });

    expect(Buffer.from(await subject.store.get(`inventory/${run}/binary.json.gz`)).equals(body)).toBe(true);
  });

  it('replaces a blob put again under the same key', async () => {
    await subject.store.put(`inventory/${run}/replaced`, Buffer.from('first'));
    await subject.store.put(`inventory/${run}/replaced`, Buffer.from('second'));

    expect(Buffer.from(await subject.store.get(`inventory/${run}/replaced`)).toString()).toBe('second');
  });

  it('throws BlobNotFoundError for a key never written, and after a delete', async () => {
    const missing = await subject.store.get(`inventory/${run}/never`).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(BlobNotFoundError);
    expect((missing as BlobNotFoundError).key).toBe(`inventory/${run}/never`);

    await subject.store.put(`inventory/${run}/deleted`, Buffer.from('x'));
    await subject.store.delete(`inventory/${run}/deleted`);
    await expect(subject.store.get(`inventory/${run}/deleted`)).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(subject.store.delete(`inventory/${run}/deleted`)).resolves.toBeUndefined();
  });

  it('refuses keys that could climb out of its place or name nothing', async () => {
    for (const key of ['', '/abs', '../up', 'a/../../b', 'a//b', 'a/./b', 'trailing/', 'space here', 'x'.repeat(600)]) {
      await expect(subject.store.put(key, Buffer.from('x')), key).rejects.toThrow(/Not a blob key/);
      await expect(subject.store.get(key), key).rejects.toThrow(/Not a blob key/);
    }
  });
});

describe('FileBlobStore on disk', () => {
  let root: string;
  let store: FileBlobStore;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'clusterhub-blobs-'));
    store = new FileBlobStore(join(root, 'blobs'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('keeps every blob inside its directory, owner-only, with no temp file left', async () => {
    await store.put('inventory/c1/a.json.gz', Buffer.from('a'));
    await store.put('inventory/c1/a.json.gz', Buffer.from('b'));
    await writeFile(join(root, 'outside'), 'untouched');

    const files = (await readdir(root, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => relative(root, join(e.parentPath, e.name)));
    expect(files.sort()).toEqual(['blobs/inventory/c1/a.json.gz', 'outside'].map((f) => f.split('/').join(sep)));
    expect((await stat(join(root, 'blobs', 'inventory', 'c1', 'a.json.gz'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(root, 'blobs', 'inventory'))).mode & 0o777).toBe(0o700);
  });
});
