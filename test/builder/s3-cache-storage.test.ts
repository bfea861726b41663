import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Readable } from 'stream';
import { GetObjectCommand, NoSuchKey, PutObjectCommand } from '@aws-sdk/client-s3';
import { S3CacheStorage, S3Send } from '../../src/builder/s3-cache-storage';

/** S3 cannot run here: a bucket in memory behind the client's `send`, answering as S3 does. */
class MemoryBucket implements S3Send {
  readonly objects = new Map<string, Buffer>();
  readonly puts: Array<Record<string, unknown>> = [];

  async send(command: GetObjectCommand | PutObjectCommand): Promise<unknown> {
    if (command instanceof PutObjectCommand) {
      const { Body, ...rest } = command.input;
      const chunks: Buffer[] = [];
      for await (const chunk of Body as Readable) chunks.push(chunk as Buffer);
      this.objects.set(`${command.input.Bucket}/${command.input.Key}`, Buffer.concat(chunks));
      this.puts.push(rest);
      return {};
    }
    const body = this.objects.get(`${command.input.Bucket}/${command.input.Key}`);
    if (!body) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} });
    return { Body: Readable.from([body]) };
  }
}

describe('S3CacheStorage', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'trellis-s3-cache-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('stores the file under its key and fetches the same bytes back', async () => {
    const bucket = new MemoryBucket();
    const storage = new S3CacheStorage('cache-bucket', bucket);
    writeFileSync(join(dir, 'in.tgz'), Buffer.from([1, 2, 3, 250]));
    await storage.store('deps/shop/dev/npm/node22-linux-x64/abc.tar.gz', join(dir, 'in.tgz'));
    expect(bucket.puts).toEqual([{ Bucket: 'cache-bucket', Key: 'deps/shop/dev/npm/node22-linux-x64/abc.tar.gz', ContentLength: 4, ContentType: 'application/gzip' }]);
    expect(await storage.fetch('deps/shop/dev/npm/node22-linux-x64/abc.tar.gz', join(dir, 'out.tgz'))).toBe(true);
    expect([...readFileSync(join(dir, 'out.tgz'))]).toEqual([1, 2, 3, 250]);
    expect(storage.location).toBe('s3://cache-bucket');
  });

  test('a missing key is a miss; any other error is thrown', async () => {
    const storage = new S3CacheStorage('cache-bucket', new MemoryBucket());
    expect(await storage.fetch('deps/none.tar.gz', join(dir, 'out.tgz'))).toBe(false);
    const denied = new S3CacheStorage('cache-bucket', { send: async () => { throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }); } });
    await expect(denied.fetch('deps/x.tar.gz', join(dir, 'out.tgz'))).rejects.toThrow('Access Denied');
  });
});
