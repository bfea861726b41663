import { createHmac, timingSafeEqual } from 'crypto';
import { IncomingHttpHeaders, Server, createServer } from 'http';
import { AddressInfo } from 'net';

/** One request as the receiver got it: the exact body bytes, and whether its signature held. */
export interface Received {
  readonly at: number;
  readonly headers: IncomingHttpHeaders;
  readonly raw: Buffer;
  readonly body: any;
  /** X-Trellis-Signature-256 is the HMAC of the raw bytes with the receiver's secret (checked as a receiver would). */
  readonly signatureValid: boolean;
}

/** What the receiver answers a request with (status, optional Location); default 200. */
export type Answer = (request: Received, index: number) => { status: number; location?: string; delayMs?: number };

/**
 * A notification receiver: a real HTTP server on 127.0.0.1 that keeps every request and checks
 * its signature the way the README tells a receiver to (constant time, over the raw body).
 */
export class TestReceiver {
  static async start(secret: string, answer: Answer = () => ({ status: 200 })): Promise<TestReceiver> {
    const receiver = new TestReceiver(secret, answer);
    await new Promise<void>(resolve => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  readonly requests: Received[] = [];
  private readonly server: Server;

  private constructor(private readonly secret: string, private readonly answer: Answer) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', chunk => chunks.push(chunk));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        let body: unknown;
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          body = undefined;
        }
        const received: Received = { at: Date.now(), headers: req.headers, raw, body, signatureValid: this.verify(raw, req.headers['x-trellis-signature-256']) };
        this.requests.push(received);
        const { status, location, delayMs } = this.answer(received, this.requests.length - 1);
        const reply = () => {
          if (location) res.setHeader('Location', location);
          res.statusCode = status;
          res.end();
        };
        if (delayMs) setTimeout(reply, delayMs);
        else reply();
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  /** The signature check a receiver makes (README, Notifications). */
  private verify(raw: Buffer, header: string | string[] | undefined): boolean {
    if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
    const expected = createHmac('sha256', this.secret).update(raw).digest();
    const given = Buffer.from(header.slice('sha256='.length), 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise(resolve => this.server.close(resolve));
  }
}
