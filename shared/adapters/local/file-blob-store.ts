import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { BlobNotFoundError, checkBlobKey, type BlobStore } from '#shared/ports/blob-store.ts';

/**
 * The blob store of the local run: one file per blob under `dir`, at the path its key names
 * (keys are checked, so none reaches outside `dir`), written to a temp file and renamed so a
 * reader never sees half a blob. Files are the owner's only (0600 in 0700 directories).
 */
export class FileBlobStore implements BlobStore {
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(dirname(target), { recursive: true, mode: 0o700 });
    const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temp, body, { mode: 0o600 });
      await rename(temp, target);
    } catch (err) {
      await unlink(temp).catch(() => {});
      throw err;
    }
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      return await readFile(this.pathOf(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFoundError(key);
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await unlink(this.pathOf(key)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  private pathOf(key: string): string {
    const path = join(this.dir, ...checkBlobKey(key).split('/'));
    // checkBlobKey already refuses `..`; this is the belt to its braces.
    if (!path.startsWith(this.dir + sep)) throw new Error('blob key outside the store');
    return path;
  }
}
