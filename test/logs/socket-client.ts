import { WebSocket } from 'ws';
import { LogAssembler, LogRecord, ServerMessage } from '../../src/runtime/core';
import { eventually } from '../support/eventually';

/** A real WebSocket client, as the dashboard is one: collects messages and assembles logs. */
export class TestClient {
  /** Opens a connection; rejects with the HTTP status and body when the handshake is refused. */
  static connect(url: string): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.once('open', () => resolve(new TestClient(socket)));
      socket.once('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => { body += chunk; });
        response.on('end', () => reject(Object.assign(new Error(`refused ${response.statusCode}`), { status: response.statusCode, body })));
      });
      socket.once('error', reject);
    });
  }

  readonly messages: ServerMessage[] = [];
  readonly assembled: LogRecord[] = [];
  private assembler = new LogAssembler(0);

  private constructor(readonly socket: WebSocket) {
    socket.on('message', data => {
      const message = JSON.parse(data.toString()) as ServerMessage;
      this.messages.push(message);
      if (message.type === 'log') this.assembled.push(...this.assembler.accept(message.records));
    });
  }

  subscribe(deploymentId: string, from = 0): void {
    this.assembler = new LogAssembler(from);
    this.socket.send(JSON.stringify({ action: 'subscribe', deploymentId, from }));
  }

  send(body: unknown): void {
    this.socket.send(typeof body === 'string' ? body : JSON.stringify(body));
  }

  get next(): number {
    return this.assembler.next;
  }

  /** Resolves once `condition` holds, or fails after `timeoutMs` saying what this client got. */
  async until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
    await eventually(() => `a condition on the socket's messages (got ${this.messages.length} messages, log at ${this.next})`, condition, timeoutMs, 10);
  }

  close(): Promise<void> {
    return new Promise(resolve => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}
