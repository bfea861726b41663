import { WebSocket } from 'ws';
import { CliError, EXIT } from './exit-codes';
import { Backoff, DEFAULT_BACKOFF, LogFollow, reconnectDelay } from './log-follow';
import { LogPageView } from '../runtime/core/api-types';
import { ServerMessage } from '../runtime/core/live-messages';
import { isTerminal } from '../runtime/core/state-machine';
import { Deployment, LogRecord } from '../runtime/core/types';

export interface FollowLogOptions {
  /** config.json's `webSocketUrl` (ws:, wss:, or http(s): taken as ws(s):). */
  readonly webSocketUrl: string;
  /** Sent as `Authorization: Bearer` on the connect, never in the URL (proxies and access logs keep those); never printed. */
  readonly token: string;
  readonly deploymentId: string;
  /** Records in seq order, each once, no gaps. */
  readonly onRecords: (records: LogRecord[]) => void;
  /** What the person should know while waiting (on stderr): the connection dropped, it is back. */
  readonly onNotice: (text: string) => void;
  /** The deployment as the API answers now. */
  readonly deployment: () => Promise<Deployment>;
  /** A page of the stored log from seq `from`. */
  readonly readLog: (from: number) => Promise<LogPageView>;
  /** How often the deployment's status is asked. @default 2000 */
  readonly pollMs?: number;
  /** @default DEFAULT_BACKOFF */
  readonly backoff?: Backoff;
  /** Records after a missing seq that wait this long mean a live message was lost: subscribe again. @default 3000 */
  readonly gapMs?: number;
  /** Failed status polls in a row before giving up (network down, server gone). @default 30 */
  readonly maxFailedPolls?: number;
}

const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Follow a deployment's log until it is final and every stored line is printed; resolves with
 * the final deployment. The live lines come over the WebSocket protocol (core/live-messages);
 * a dropped connection is opened again with backoff and subscribes from the first line not yet
 * printed. The API is asked for the deployment's status (the socket does not carry it), and once
 * it is final the stored log from that line on is read, which also fills whatever the socket missed.
 */
export function followLog(options: FollowLogOptions): Promise<Deployment> {
  return new LiveLogFollower(options).run();
}

class LiveLogFollower {
  private readonly follow: LogFollow;
  private readonly backoff: Backoff;
  private socket?: WebSocket;
  /** Connection attempts since the last one that worked. */
  private attempts = 0;
  private failedPolls = 0;
  private ended = false;
  private retryTimer?: NodeJS.Timeout;
  private gapTimer?: NodeJS.Timeout;
  private pollTimer?: NodeJS.Timeout;
  private resolve!: (deployment: Deployment) => void;
  private reject!: (error: Error) => void;

  constructor(private readonly options: FollowLogOptions) {
    this.follow = new LogFollow(options.deploymentId);
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  run(): Promise<Deployment> {
    return new Promise<Deployment>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      this.connect();
      void this.poll();
    });
  }

  private finish(outcome: { deployment: Deployment } | { error: Error }): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.gapTimer);
    clearTimeout(this.pollTimer);
    const socket = this.socket;
    this.socket = undefined;
    socket?.terminate();
    if ('deployment' in outcome) this.resolve(outcome.deployment);
    else this.reject(outcome.error);
  }

  private connect(): void {
    if (this.ended) return;
    const socket = new WebSocket(socketAddress(this.options.webSocketUrl), {
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      headers: { authorization: `Bearer ${this.options.token}` },
    });
    this.socket = socket;
    let lost = false;
    const onLost = (why: string) => {
      if (lost || this.socket !== socket) return;
      lost = true;
      this.socket = undefined;
      socket.terminate();
      this.retry(why);
    };
    socket.on('open', () => {
      if (this.attempts > 0) this.options.onNotice(`live log: connected again, from line ${this.follow.next}`);
      socket.send(JSON.stringify(this.follow.subscribe()));
    });
    socket.on('message', data => {
      if (this.socket !== socket) return;
      let message: ServerMessage;
      try {
        message = JSON.parse(data.toString()) as ServerMessage;
      } catch {
        return; // Not our protocol: ignore the frame; a gap it leaves is asked for again.
      }
      const received = this.follow.receive(message);
      if (received.records.length > 0) this.options.onRecords(received.records);
      this.watchGap();
      if (received.then === 'live') this.attempts = 0;
      else if (received.then === 'reconnect') onLost(`the server answered ${received.status}: ${received.reason}`);
      else if (received.then === 'stop') this.finish({ error: refusal(received.status!, received.reason) });
    });
    // A refused handshake: the answer's status and reason, read from its body.
    socket.on('unexpected-response', (request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => { body += chunk; });
      response.on('end', () => {
        request.destroy();
        const status = response.statusCode ?? 0;
        if (status === 401 || status === 403) this.finish({ error: refusal(status, reasonIn(body)) });
        else onLost(`the server answered ${status}`);
      });
    });
    socket.on('error', error => onLost(error.message));
    socket.on('close', () => onLost('the connection closed'));
  }

  private retry(why: string): void {
    clearTimeout(this.gapTimer);
    if (this.ended) return;
    const delay = reconnectDelay(this.attempts, this.backoff);
    this.attempts++;
    this.options.onNotice(`live log: ${why}; connecting again in ${(delay / 1000).toFixed(1)} s`);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** A lost live message leaves a gap the assembler waits on: subscribe again from its start. */
  private watchGap(): void {
    clearTimeout(this.gapTimer);
    if (!this.follow.hasGap) return;
    this.gapTimer = setTimeout(() => {
      if (this.follow.hasGap && this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(this.follow.subscribe()));
    }, this.options.gapMs ?? 3000);
  }

  private async poll(): Promise<void> {
    if (this.ended) return;
    try {
      const deployment = await this.options.deployment();
      this.failedPolls = 0;
      if (isTerminal(deployment.status) && await this.drained()) return this.finish({ deployment });
    } catch (error) {
      if (error instanceof CliError && error.exitCode === EXIT.auth) return this.finish({ error });
      if (++this.failedPolls >= (this.options.maxFailedPolls ?? 30)) return this.finish({ error: error as Error });
    }
    if (!this.ended) this.pollTimer = setTimeout(() => void this.poll(), this.options.pollMs ?? 2000);
  }

  /** Read the stored log from the first line not printed; true once nothing is left to print. */
  private async drained(): Promise<boolean> {
    for (;;) {
      const from = this.follow.next;
      const page = await this.options.readLog(from);
      if (this.ended) return false;
      const ready = this.follow.accept(page.records);
      if (ready.length > 0) this.options.onRecords(ready);
      if (this.follow.complete(page)) return true;
      // A stored gap (lines the archive has not brought yet): ask again at the next poll.
      if (page.end || this.follow.next === from) return false;
    }
  }
}

/** The socket's address: config.json's `webSocketUrl` as ws(s):. The token goes in a header, never here. */
export function socketAddress(webSocketUrl: string): string {
  const url = new URL(webSocketUrl);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new CliError(`the live log address ${url.origin} is not a WebSocket URL`);
  return url.toString();
}

/** The log socket refused the token (401) or the deployment (403): trying again cannot help. */
export class LiveLogRefused extends CliError {
  constructor(message: string, readonly status: number) {
    super(message, status === 401 || status === 403 ? EXIT.auth : EXIT.failed);
  }
}

function refusal(status: number, reason: string | undefined): CliError {
  const why = reason ? `: ${reason}` : '';
  if (status === 401) return new LiveLogRefused(`the live log refused the sign-in${why}; run \`trellis login\` again (or set TRELLIS_TOKEN)`, status);
  if (status === 403) return new LiveLogRefused(`no access to this deployment's log${why}`, status);
  return new LiveLogRefused(`the live log answered ${status}${why}`, status);
}

function reasonIn(body: string): string | undefined {
  try {
    const reason = (JSON.parse(body) as { reason?: unknown }).reason;
    return typeof reason === 'string' ? reason : undefined;
  } catch {
    return undefined;
  }
}
