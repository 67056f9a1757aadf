import { DeleteObjectCommand, GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { BlobNotFoundError, checkBlobKey, type BlobStore } from '#shared/ports/blob-store.ts';

/**
 * The blob store on S3: one object per blob in the hub's bucket, under an optional prefix (a
 * deployment's own part of a shared bucket). Encryption at rest is the bucket's (the stack sets
 * it); the bucket's lifecycle rule expires what the hub no longer points at.
 */
export class S3BlobStore implements BlobStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix = '',
  ) {}

  async put(key: string, body: Uint8Array, options: { contentType?: string } = {}): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.prefix + checkBlobKey(key),
        Body: body,
        ContentType: options.contentType ?? 'application/octet-stream',
      }),
    );
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + checkBlobKey(key) }));
      if (!out.Body) throw new BlobNotFoundError(key);
      return await out.Body.transformToByteArray();
    } catch (err) {
      if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') throw new BlobNotFoundError(key);
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + checkBlobKey(key) }));
  }
}
