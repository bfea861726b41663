import { randomUUID } from 'crypto';
import { IncomingMessage, Server } from 'http';
import { Duplex } from 'stream';
import { WebSocket, WebSocketServer } from 'ws';
import { connectCredential } from '../runtime/auth/bearer-credential';
import { MAX_CLIENT_MESSAGE } from '../runtime/core/live-messages';
import { LogSink } from '../runtime/core/ports';
import { SocketDeps, SocketEvent, handleSocketEvent } from '../runtime/logs/socket-handler';

/** A client that lets this much pile up unread is dropped, as API Gateway drops slow clients. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/**
 * The WebSocket endpoint of local mode: what API Gateway does in AWS (handshake, routes,
 * @connections) over the same handler. The token comes in the query string (or an Authorization header); a refused
 * connect answers the HTTP upgrade with its status and never becomes a socket.
 */
export class LocalSocketServer implements LogSink {
  private readonly sockets = new Map<string, WebSocket>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE });

  constructor(private readonly deps: Omit<SocketDeps, 'sink'>, private readonly path = '/live') {}

  /** Serve WebSocket upgrades on `path` of an HTTP server. */
  attach(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.upgrade(request, socket, head).catch(error => {
        this.deps.log({ message: 'upgrade failed', error: String(error) });
        refuse(socket, 500, 'the connection could not be set up');
      });
    });
  }

  async send(connectionId: string, message: unknown): Promise<'sent' | 'gone'> {
    const socket = this.sockets.get(connectionId);
    if (!socket || socket.readyState !== WebSocket.OPEN) return 'gone';
    if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      socket.terminate();
      return 'gone';
    }
    socket.send(JSON.stringify(message));
    return 'sent';
  }

  /** Open connections (for tests and the terminal's status line). */
  get connections(): number {
    return this.sockets.size;
  }

  close(): void {
    for (const socket of this.sockets.values()) socket.terminate();
    this.wss.close();
  }

  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== this.path) return refuse(socket, 404, `no WebSocket endpoint at ${url.pathname}`);
    const connectionId = randomUUID();
    const token = connectCredential(url.searchParams.get('token') ?? undefined, request.headers.authorization);
    const result = await this.handle({ kind: 'connect', connectionId, token });
    if (result.statusCode !== 200) return refuse(socket, result.statusCode, result.reason ?? 'refused');
    this.wss.handleUpgrade(request, socket, head, ws => {
      this.sockets.set(connectionId, ws);
      // One message at a time per connection, in arrival order.
      let queue = Promise.resolve();
      ws.on('message', data => {
        queue = queue.then(() => this.handle({ kind: 'message', connectionId, body: data.toString() })).then(() => undefined, error => {
          this.deps.log({ message: 'socket message failed', connection: connectionId, error: String(error) });
        });
      });
      // A broken or oversized frame from one client is that client's problem: without a
      // listener the 'error' event would be thrown and end the whole local server.
      ws.on('error', error => {
        this.deps.log({ message: 'socket dropped after a protocol error', connection: connectionId, error: String(error) });
        ws.terminate();
      });
      ws.on('close', () => {
        this.sockets.delete(connectionId);
        void queue.then(() => this.handle({ kind: 'disconnect', connectionId })).catch(() => undefined);
      });
    });
  }

  private handle(event: SocketEvent) {
    return handleSocketEvent(event, { ...this.deps, sink: this });
  }
}

/** Answer an upgrade request with an HTTP error and a JSON reason, then hang up. */
function refuse(socket: Duplex, status: number, reason: string): void {
  const body = JSON.stringify({ error: status === 401 ? 'unauthorized' : 'refused', reason });
  socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Refused'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}
