import { createReadStream, createWriteStream, statSync } from 'fs';
import { Readable } from 'stream';
import { pipeline } from 'stream/promises';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CacheStorage } from './cache-storage';

/** The part of S3Client this storage uses, so tests can stand in for S3. */
export interface S3Send {
  send(command: GetObjectCommand | PutObjectCommand): Promise<unknown>;
}

/**
 * The dependency cache in the installation's bucket (BuildServer's `DependencyCache`): one
 * object per key, streamed to and from disk, expired by the bucket's lifecycle rule.
 */
export class S3CacheStorage implements CacheStorage {
  readonly compress = true;

  constructor(private readonly bucket: string, private readonly s3: S3Send = new S3Client({})) {}

  get location(): string {
    return `s3://${this.bucket}`;
  }

  async fetch(key: string, file: string): Promise<boolean> {
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })) as { Body?: unknown };
      if (!(object.Body instanceof Readable)) throw new Error(`s3://${this.bucket}/${key} has no readable body`);
      await pipeline(object.Body, createWriteStream(file));
      return true;
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return false;
      throw error;
    }
  }

  async store(key: string, file: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({
      Bucket: this.bucket,
      Key: key,
      Body: createReadStream(file),
      ContentLength: statSync(file).size,
      ContentType: 'application/gzip',
    }));
  }
}
