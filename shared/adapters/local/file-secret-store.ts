import { createHash, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { assertSecretName } from '#shared/adapters/secrets-manager/secret-name.ts';
import { SecretNotFoundError, type SecretStore } from '#shared/ports/secret-store.ts';

const refPrefix = 'local-secret:';
/** Longer encodings are replaced by a hash so no file name passes the usual 255-byte limit. */
const maxEncodedLength = 200;

/**
 * The secret store of the one-command local run: one file per secret under
 * `dir` (0700), each readable by its owner only (0600). Names are encoded into
 * a single path segment of [A-Za-z0-9_%-] (a dot is encoded too), so no name,
 * `../x` included, can reach outside `dir`.
 */
export class FileSecretStore implements SecretStore {
  private readonly dir: string;
  private ready: Promise<void> | undefined;

  /** `dir` is created on first use. */
  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /** Writes the secret atomically (temp file, fsync, rename); returns `local-secret:<name>`. */
  async put(name: string, value: string): Promise<string> {
    assertSecretName(name);
    const target = this.pathOf(name);
    const temp = await this.writeTemp(value);
    try {
      await rename(temp, target);
    } catch (error) {
      await unlink(temp).catch(() => {});
      throw error;
    }
    await this.syncDir();
    return refPrefix + name;
  }

  /**
   * Writes the secret only when none of that name exists: a hard link of a
   * complete temp file fails with EEXIST rather than replace, so racing
   * callers (other processes included) see exactly one winner and never a partial file.
   */
  async create(name: string, value: string): Promise<boolean> {
    assertSecretName(name);
    const target = this.pathOf(name);
    const temp = await this.writeTemp(value);
    try {
      await link(temp, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      await unlink(temp).catch(() => {});
    }
    await this.syncDir();
    return true;
  }

  /** Reads by `local-secret:<name>` or by name; throws SecretNotFoundError. */
  async get(ref: string): Promise<string> {
    const name = nameOf(ref);
    if (name === undefined) throw new SecretNotFoundError(ref);
    try {
      return await readFile(this.pathOf(name), 'utf8');
    } catch (error) {
      if (isMissing(error)) throw new SecretNotFoundError(ref);
      throw error;
    }
  }

  /** Removes the file; a missing secret is not an error. */
  async delete(ref: string): Promise<void> {
    const name = nameOf(ref);
    if (name === undefined) return;
    try {
      await unlink(this.pathOf(name));
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }

  /** A complete, fsynced 0600 file holding `value` under a temp name; the caller moves or removes it. */
  private async writeTemp(value: string): Promise<string> {
    // Temp names start with a dot, which an encoded name never does.
    const temp = join(this.dir, `.tmp-${randomBytes(8).toString('hex')}`);
    await this.ensureDir();
    const file = await open(temp, 'wx', 0o600).catch(async (error: unknown) => {
      if (!isMissing(error)) throw error;
      // The directory was removed while we ran (a reset of the local data): make it again.
      this.ready = undefined;
      await this.ensureDir();
      return open(temp, 'wx', 0o600);
    });
    try {
      await file.writeFile(value, 'utf8');
      await file.sync();
    } catch (error) {
      await file.close();
      await unlink(temp).catch(() => {});
      throw error;
    }
    await file.close();
    return temp;
  }

  private pathOf(name: string): string {
    return join(this.dir, encodeName(name));
  }

  private ensureDir(): Promise<void> {
    this.ready ??= (async () => {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      // mkdir honours the umask and leaves an existing directory alone: say it explicitly.
      await chmod(this.dir, 0o700);
    })().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  /** Makes the rename itself durable; some file systems cannot fsync a directory, which is fine. */
  private async syncDir(): Promise<void> {
    const handle = await open(this.dir, 'r').catch(() => undefined);
    if (!handle) return;
    await handle.sync().catch(() => {});
    await handle.close();
  }
}

/** The name a ref or name stands for, or undefined when it cannot name any secret. */
function nameOf(ref: string): string | undefined {
  const name = ref.startsWith(refPrefix) ? ref.slice(refPrefix.length) : ref;
  try {
    assertSecretName(name);
    return name;
  } catch {
    return undefined;
  }
}

/** One safe path segment per name: every byte outside [A-Za-z0-9_-] becomes %XX. */
function encodeName(name: string): string {
  let encoded = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const c = String.fromCharCode(byte);
    encoded += /[A-Za-z0-9_-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (encoded.length <= maxEncodedLength) return encoded;
  // '~' never appears in an encoding, so a hashed name cannot collide with an encoded one.
  return `~${createHash('sha256').update(name).digest('hex')}`;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
