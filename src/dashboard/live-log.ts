import { ClientMessage, ServerMessage } from '../runtime/core/live-messages';
import { LogAssembler } from '../runtime/core/log-assembler';
import { LogRecord } from '../runtime/core/types';

export type LiveState = 'connecting' | 'backlog' | 'live' | 'reconnecting' | 'failed';

export interface LiveLogOptions {
  /** `webSocketUrl` of config.json (absolute, or relative to the page). */
  readonly url: string;
  readonly token: string;
  readonly deploymentId: string;
  /** Records in seq order, each once, no gaps. */
  readonly onRecords: (records: LogRecord[]) => void;
  readonly onState: (state: LiveState, detail?: string) => void;
  /**
   * The connection closed before it opened. A browser hides the handshake's status, so a
   * refused token (a restarted local server, an expired session) looks like a network error:
   * the caller asks the API, whose 401 it can see.
   */
  readonly onRefused?: () => void;
}

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 15_000;
/** Records after a missing seq that wait this long mean a live message was lost: ask again. */
const GAP_RESUBSCRIBE_MS = 3_000;
/** Statuses after which trying again cannot help. */
const FATAL = [400, 401, 403, 404];

/**
 * One deployment's log over the WebSocket protocol (core/live-messages): subscribe from the
 * next wanted seq, backlog then live, ordered by LogAssembler. When the connection drops it
 * reconnects with exponential backoff (and at once when the browser comes back online),
 * subscribing from the assembler's next seq so nothing is lost or shown twice.
 */
export class LiveLog {
  private readonly assembler = new LogAssembler(0);
  private socket?: WebSocket;
  private attempt = 0;
  private retryTimer?: number;
  private gapTimer?: number;
  private closed = false;

  constructor(private readonly options: LiveLogOptions) {
    window.addEventListener('online', this.online);
    this.connect();
  }

  /** Back online: try now instead of waiting out the backoff. */
  private readonly online = () => {
    if (this.closed || this.socket) return;
    window.clearTimeout(this.retryTimer);
    this.connect();
  };

  /** The seq the log waits for (= records received so far). */
  get next(): number {
    return this.assembler.next;
  }

  close(): void {
    this.closed = true;
    window.removeEventListener('online', this.online);
    window.clearTimeout(this.retryTimer);
    window.clearTimeout(this.gapTimer);
    const socket = this.socket;
    this.socket = undefined;
    socket?.close();
  }

  private connect(): void {
    this.options.onState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    const url = new URL(this.options.url, location.href);
    if (url.protocol === 'http:' || url.protocol === 'https:') url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('token', this.options.token);
    let socket: WebSocket;
    try {
      socket = new WebSocket(url.toString());
    } catch (error) {
      this.options.onState('failed', `The live log address is not valid: ${String(error)}`);
      return;
    }
    this.socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.subscribe();
    };
    socket.onmessage = event => {
      if (this.socket !== socket) return;
      try {
        this.receive(JSON.parse(String(event.data)) as ServerMessage);
      } catch {
        // Not our protocol: ignore the frame, the seq gap (if any) is asked for again.
      }
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      if (!opened) this.options.onRefused?.();
      this.retry();
    };
  }

  private subscribe(): void {
    const message: ClientMessage = { action: 'subscribe', deploymentId: this.options.deploymentId, from: this.assembler.next };
    this.socket?.send(JSON.stringify(message));
    this.options.onState('backlog');
  }

  private receive(message: ServerMessage): void {
    if ('deploymentId' in message && message.deploymentId !== undefined && message.deploymentId !== this.options.deploymentId) return;
    if (message.type === 'log') {
      const ready = this.assembler.accept(message.records);
      if (ready.length > 0) this.options.onRecords(ready);
      this.watchGap();
    } else if (message.type === 'subscribed') {
      this.attempt = 0;
      this.options.onState('live');
    } else if (message.type === 'error') {
      if (FATAL.includes(message.status)) {
        this.close();
        this.options.onState('failed', message.reason);
      } else {
        this.options.onState('reconnecting', message.reason);
        this.socket?.close();
      }
    }
  }

  private watchGap(): void {
    window.clearTimeout(this.gapTimer);
    if (!this.assembler.hasGap) return;
    this.gapTimer = window.setTimeout(() => {
      if (this.assembler.hasGap && this.socket?.readyState === WebSocket.OPEN) this.subscribe();
    }, GAP_RESUBSCRIBE_MS);
  }

  private retry(): void {
    this.socket = undefined;
    if (this.closed) return;
    const delay = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** this.attempt) * (0.75 + Math.random() / 2);
    this.attempt++;
    this.options.onState('reconnecting');
    this.retryTimer = window.setTimeout(() => this.connect(), delay);
  }
}
