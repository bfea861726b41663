import { IncomingMessage, Server, createServer, request as httpRequest } from 'http';
import { AddressInfo, Socket, connect } from 'net';
import { Duplex } from 'stream';

/**
 * A real HTTP server between a client and a Trellis server (127.0.0.1 only) that forwards HTTP
 * requests and WebSocket upgrades, answers config.json with its own address in place of the
 * server's (so the client's socket goes through it too), and can cut every open WebSocket
 * connection at once, as a network drop does, or refuse new ones.
 */
export class CuttingProxy {
  static async start(upstream: string): Promise<CuttingProxy> {
    const proxy = new CuttingProxy(new URL(upstream));
    await new Promise<void>(resolve => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** WebSocket upgrade requests forwarded so far. */
  upgrades = 0;
  /** Every upgrade request's URL and Authorization header, as they came (refused ones too). */
  readonly upgradeRequests: { readonly url: string; readonly authorization?: string }[] = [];
  /** Answer upgrades with 503 instead of forwarding them. */
  refuseUpgrades = false;
  private readonly server: Server;
  private readonly open = new Set<Duplex>();

  private constructor(private readonly upstream: URL) {
    this.server = createServer((request, response) => {
      const forwarded = httpRequest({
        host: upstream.hostname,
        port: upstream.port,
        method: request.method,
        path: request.url,
        headers: { ...request.headers, host: upstream.host },
      }, answer => {
        if (request.url?.split('?')[0] !== '/config.json' || answer.statusCode !== 200) {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
          return;
        }
        let body = '';
        answer.setEncoding('utf8');
        answer.on('data', chunk => { body += chunk; });
        answer.on('end', () => {
          const rewritten = this.rewrite(body);
          response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(rewritten) });
          response.end(rewritten);
        });
      });
      forwarded.on('error', () => response.destroy());
      request.pipe(forwarded);
    });
    this.server.on('upgrade', (request: IncomingMessage, client: Duplex, head: Buffer) => this.upgrade(request, client, head));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** WebSocket connections open through the proxy now. */
  get connections(): number {
    return this.open.size / 2;
  }

  /** Drop every open WebSocket connection (both sides, no close frame); returns how many. */
  cut(): number {
    const count = this.connections;
    for (const socket of this.open) socket.destroy();
    this.open.clear();
    return count;
  }

  async close(): Promise<void> {
    this.cut();
    this.server.closeAllConnections();
    await new Promise(resolve => this.server.close(resolve));
  }

  /** config.json with the upstream's origin replaced by the proxy's in every URL. */
  private rewrite(body: string): string {
    const config = JSON.parse(body) as Record<string, unknown>;
    const proxy = new URL(this.url);
    for (const key of ['apiUrl', 'webSocketUrl']) {
      const value = config[key];
      if (typeof value !== 'string') continue;
      const url = new URL(value);
      if (url.host === this.upstream.host) {
        url.host = proxy.host;
        config[key] = url.toString().replace(/\/$/, value.endsWith('/') ? '/' : '');
      }
    }
    return JSON.stringify(config);
  }

  private upgrade(request: IncomingMessage, client: Duplex, head: Buffer): void {
    this.upgradeRequests.push({ url: request.url ?? '', authorization: request.headers.authorization });
    if (this.refuseUpgrades) {
      client.end('HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return;
    }
    this.upgrades++;
    const server: Socket = connect(Number(this.upstream.port), this.upstream.hostname, () => {
      const lines = [`${request.method} ${request.url} HTTP/1.1`];
      for (let i = 0; i < request.rawHeaders.length; i += 2) {
        const name = request.rawHeaders[i];
        lines.push(`${name}: ${name.toLowerCase() === 'host' ? this.upstream.host : request.rawHeaders[i + 1]}`);
      }
      server.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) server.write(head);
      client.pipe(server).pipe(client);
    });
    this.open.add(client);
    this.open.add(server);
    const forget = () => {
      client.destroy();
      server.destroy();
      this.open.delete(client);
      this.open.delete(server);
    };
    client.on('error', forget).on('close', forget);
    server.on('error', forget).on('close', forget);
  }
}
