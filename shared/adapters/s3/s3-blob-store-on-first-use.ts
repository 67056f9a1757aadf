import type { BlobStore } from '#shared/ports/blob-store.ts';

/**
 * The S3 blob store, with the S3 client loaded on the first blob call: a function that never
 * touches a snapshot (most of them) does not pay for the client at its cold start. Against an
 * emulator (AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_S3 set) it addresses buckets by path, as moto
 * and LocalStack expect; on AWS by virtual host.
 */
export function s3BlobStoreOnFirstUse(bucket: string, prefix = '', env: NodeJS.ProcessEnv = process.env): BlobStore {
  let store: Promise<BlobStore> | undefined;
  const load = () =>
    (store ??= Promise.all([import('@aws-sdk/client-s3'), import('./s3-blob-store.ts')]).then(
      ([s3, { S3BlobStore }]) => new S3BlobStore(new s3.S3Client({ forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL) }), bucket, prefix),
    ));
  return {
    put: async (key, body, options) => (await load()).put(key, body, options),
    get: async (key) => (await load()).get(key),
    delete: async (key) => (await load()).delete(key),
  };
}
