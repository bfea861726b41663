import { request as httpRequest } from 'http';
import { DashboardServer } from '../../src/local/dashboard-server';
import { FakeLaunchQueue } from '../api/fakes';
import { startWebhookServer } from './support/webhook-server';
import { githubSignature } from '../support/github-webhook';

/** POST /webhook on the local server over real HTTP: the signature is checked over the bytes on the wire. */
describe('local dashboard server: webhook signatures cover the raw bytes', () => {
  const secret = 'local webhook secret';
  let server: DashboardServer;
  let queue: FakeLaunchQueue;

  beforeAll(async () => {
    ({ server, queue } = await startWebhookServer(secret));
  });

  afterAll(() => server.close());

  /** A push whose commit message holds `bytes` (not valid UTF-8). */
  function push(sha: string, bytes: Buffer): Buffer {
    const [before, after] = JSON.stringify({
      ref: 'refs/heads/main',
      before: '0'.repeat(40),
      after: sha,
      repository: { full_name: 'local/shop' },
      head_commit: { id: sha, message: 'fix MARK here', author: { name: 'Ada' } },
    }).split('MARK');
    return Buffer.concat([Buffer.from(before), bytes, Buffer.from(after)]);
  }

  /** POSTs exactly these bytes with node's http client (no re-encoding on the way). */
  function post(body: Buffer, signedBytes: Buffer, delivery: string): Promise<{ status: number; body: string }> {
    const url = new URL(`${server.url}/webhook`);
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': body.length,
          'x-github-event': 'push',
          'x-github-delivery': delivery,
          'x-hub-signature-256': githubSignature(secret, signedBytes),
        },
      }, response => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  test('a body with invalid UTF-8, signed over its bytes, is accepted and queued', async () => {
    const body = push('c'.repeat(40), Buffer.from([0xff, 0xc3, 0x28]));
    const before = queue.sent.length;
    const response = await post(body, body, 'raw-1');
    expect(response.status).toBe(202);
    expect(queue.sent.length).toBe(before + 1);
  });

  test('the same body signed over its decoded-then-re-encoded text is 401, and nothing is queued', async () => {
    const body = push('d'.repeat(40), Buffer.from([0xff, 0xfe]));
    const lossy = Buffer.from(body.toString('utf8'), 'utf8');
    expect(lossy.equals(body)).toBe(false);
    const before = queue.sent.length;
    const response = await post(body, lossy, 'raw-2');
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'unauthorized' });
    expect(queue.sent.length).toBe(before);
  });
});
