/**
 * Blobs too large for a table item (inventory snapshots): S3 on AWS (shared/adapters/s3), files
 * under the local run's data directory (shared/adapters/local). Keys are made by the hub, never
 * by a caller, and are still checked by both adapters the same way, so a key can never climb out
 * of the bucket's prefix or the local directory.
 */
export interface BlobStore {
  /** Writes (or replaces) the blob at `key`. */
  put(key: string, body: Uint8Array, options?: { contentType?: string }): Promise<void>;
  /** The blob's bytes; throws BlobNotFoundError when there is none. */
  get(key: string): Promise<Uint8Array>;
  /** Removes the blob; removing one that is not there is no error. */
  delete(key: string): Promise<void>;
}

export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`No blob at ${key}.`);
    this.name = 'BlobNotFoundError';
  }
}

/** Segments of letters, digits, `.`, `_`, `-` and `=` joined by `/`: no empty, `.` or `..` segment, no leading slash. */
const SEGMENT = /^[A-Za-z0-9_=-][A-Za-z0-9._=-]*$/;
const MAX_KEY_LENGTH = 512;

/** Throws unless `key` is a blob key both adapters store at the same place. */
export function checkBlobKey(key: string): string {
  const segments = key.split('/');
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !segments.every((s) => SEGMENT.test(s) && s !== '..')) {
    throw new Error(`Not a blob key: ${JSON.stringify(key.slice(0, 80))}.`);
  }
  return key;
}
