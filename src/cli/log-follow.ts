import { LogPageView } from '../runtime/core/api-types';
import { ClientMessage, ServerMessage } from '../runtime/core/live-messages';
import { LogAssembler } from '../runtime/core/log-assembler';
import { LogRecord } from '../runtime/core/types';

/**
 * The decisions of following one deployment's log, without the socket: what to subscribe from,
 * what a server message means, and when the log is complete. Records from every connection and
 * from the stored log go through one LogAssembler, so each seq is printed once, in order.
 */

/** What the connection does after a server message. */
export type NextMove =
  /** Keep reading. */
  | 'read'
  /** The backlog is sent, live lines follow: the connection works (backoff starts over). */
  | 'live'
  /** A passing failure (the server could not answer now): drop this connection and reconnect. */
  | 'reconnect'
  /** Trying again cannot help (refused, no access, no such deployment): stop with `reason`. */
  | 'stop';

export interface Received {
  /** Records now in order, each seq once: print them. */
  readonly records: LogRecord[];
  readonly then: NextMove;
  readonly status?: number;
  readonly reason?: string;
}

/** Answers after which trying again cannot help (the dashboard's rule). */
export const FATAL_STATUSES: readonly number[] = [400, 401, 403, 404];

export class LogFollow {
  private readonly assembler: LogAssembler;

  constructor(readonly deploymentId: string, from = 0) {
    this.assembler = new LogAssembler(from);
  }

  /** The first seq not printed yet: where a new connection subscribes from. */
  get next(): number {
    return this.assembler.next;
  }

  /** Records after a missing one are waiting: a live message was lost, subscribe again. */
  get hasGap(): boolean {
    return this.assembler.hasGap;
  }

  /** The message a (re)opened connection sends: from the first line not printed, so none is lost or repeated. */
  subscribe(): ClientMessage {
    return { action: 'subscribe', deploymentId: this.deploymentId, from: this.assembler.next };
  }

  receive(message: ServerMessage): Received {
    if ('deploymentId' in message && message.deploymentId !== undefined && message.deploymentId !== this.deploymentId) {
      return { records: [], then: 'read' };
    }
    switch (message.type) {
      case 'log':
        return { records: this.assembler.accept(message.records), then: 'read' };
      case 'subscribed':
        return { records: [], then: 'live' };
      case 'error':
        return { records: [], then: FATAL_STATUSES.includes(message.status) ? 'stop' : 'reconnect', status: message.status, reason: message.reason };
      default:
        return { records: [], then: 'read' };
    }
  }

  /** Records of the stored log (GET …/logs): ordered with what the socket delivered, none twice. */
  accept(records: readonly LogRecord[]): LogRecord[] {
    return this.assembler.accept(records);
  }

  /**
   * True when `page` (the stored log, read once the deployment was final, its records accepted)
   * holds nothing more to print: the stored log ends where the printed one does. A final
   * deployment's builder has exited and its lines are stored by then, except those the AWS
   * archive path brings later, which the builder's last line names.
   */
  complete(page: LogPageView): boolean {
    return page.end && page.next <= this.assembler.next && !this.assembler.hasGap;
  }
}

export interface Backoff {
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { firstDelayMs: 500, maxDelayMs: 15_000 };

/**
 * How long to wait before connection attempt `attempt` (0 = the first retry): doubling from
 * `firstDelayMs` up to `maxDelayMs`, each ±25 % so many clients dropped at once do not return at once.
 */
export function reconnectDelay(attempt: number, backoff: Backoff = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const base = Math.min(backoff.maxDelayMs, backoff.firstDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.75 + random() / 2));
}
