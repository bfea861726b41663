import { CONNECTION_TTL_SECONDS } from '../../contract/log-settings';
import { Authenticator, Principal, hasRole } from '../core/access';
import { ForbiddenError, NotFoundError, TrellisError, UnauthorizedError, errorMessage, httpStatusOf } from '../core/errors';
import { ServerMessage, logMessages, parseClientMessage } from '../core/live-messages';
import { Clock, LogSink, Store } from '../core/ports';

/** A WebSocket event as both API Gateway and the local server deliver it. */
export type SocketEvent =
  | { readonly kind: 'connect'; readonly connectionId: string; readonly token?: string }
  | { readonly kind: 'disconnect'; readonly connectionId: string }
  | { readonly kind: 'message'; readonly connectionId: string; readonly body: string };

export interface SocketDeps {
  readonly store: Store;
  readonly sink: LogSink;
  readonly authenticator: Authenticator;
  readonly clock: Clock;
  readonly log: (entry: Record<string, unknown>) => void;
}

/** For `connect`, anything but 200 refuses the connection. */
export interface SocketResult {
  readonly statusCode: number;
  readonly reason?: string;
}

/** Backlog pages sent to a new subscriber before it gets live lines. */
const BACKLOG_PAGE = 2000;

export async function handleSocketEvent(event: SocketEvent, deps: SocketDeps): Promise<SocketResult> {
  switch (event.kind) {
    case 'connect':
      return connect(event.connectionId, event.token, deps);
    case 'disconnect':
      await deps.store.connections.remove(event.connectionId);
      return { statusCode: 200 };
    case 'message':
      return message(event.connectionId, event.body, deps);
  }
}

async function connect(connectionId: string, token: string | undefined, deps: SocketDeps): Promise<SocketResult> {
  try {
    const principal = await deps.authenticator.authenticate(token);
    await deps.store.connections.put({ connectionId, principal }, expiry(deps));
    deps.log({ message: 'connected', connection: connectionId, subject: principal.subject });
    return { statusCode: 200 };
  } catch (error) {
    if (!(error instanceof UnauthorizedError)) throw error;
    deps.log({ message: 'connection refused', connection: connectionId, reason: error.message });
    return { statusCode: 401, reason: error.message };
  }
}

async function message(connectionId: string, body: string, deps: SocketDeps): Promise<SocketResult> {
  let deploymentId: string | undefined;
  try {
    const request = parseClientMessage(body);
    deploymentId = request.deploymentId;
    const connection = await deps.store.connections.get(connectionId);
    if (!connection) throw new UnauthorizedError('the connection is not signed in; reconnect');
    await refuseEndedToken(connection.principal, connectionId, deps);
    const deployment = await deps.store.deployments.get(request.deploymentId);
    if (!deployment) throw new NotFoundError(`deployment ${request.deploymentId} not found`);
    if (!hasRole(connection.principal, deployment.application, 'viewer')) {
      throw new ForbiddenError(`no access to application ${deployment.application}`);
    }
    if (request.action === 'unsubscribe') {
      await deps.store.connections.unsubscribe(connectionId, request.deploymentId);
      await deps.sink.send(connectionId, { type: 'unsubscribed', deploymentId: request.deploymentId } satisfies ServerMessage);
      return { statusCode: 200 };
    }
    // Subscribe first, then send the backlog: a line stored in between arrives twice (the
    // client drops the copy by seq) but never not at all.
    await deps.store.connections.subscribe(connectionId, request.deploymentId, expiry(deps));
    let from = request.from;
    for (;;) {
      const page = await deps.store.logs.read(request.deploymentId, { from, limit: BACKLOG_PAGE });
      for (const chunk of logMessages(request.deploymentId, page.records)) {
        if (await deps.sink.send(connectionId, chunk) === 'gone') {
          await deps.store.connections.remove(connectionId);
          return { statusCode: 410 };
        }
      }
      from = page.next;
      if (page.end) break;
    }
    await deps.sink.send(connectionId, { type: 'subscribed', deploymentId: request.deploymentId, next: from } satisfies ServerMessage);
    return { statusCode: 200 };
  } catch (error) {
    const statusCode = httpStatusOf(error);
    if (statusCode >= 500) deps.log({ message: 'socket message failed', connection: connectionId, error: errorMessage(error) });
    const reason = error instanceof TrellisError && statusCode < 500 ? error.message : 'the request could not be processed; it was logged';
    await deps.sink.send(connectionId, { type: 'error', status: statusCode, reason, deploymentId } satisfies ServerMessage);
    return { statusCode, reason };
  }
}

/**
 * The principal is checked again at each subscription, not only at connect (the authenticator's
 * `stillValid`): a connection opened before its API token was revoked (or expired) cannot
 * subscribe with it afterwards. The connection is dropped; what it already follows runs to that
 * subscription's end.
 */
async function refuseEndedToken(principal: Principal, connectionId: string, deps: SocketDeps): Promise<void> {
  if (!deps.authenticator.stillValid || await deps.authenticator.stillValid(principal)) return;
  await deps.store.connections.remove(connectionId);
  deps.log({ message: 'api token refused', token: principal.apiToken, connection: connectionId, reason: 'revoked or expired since connect' });
  throw new UnauthorizedError('the API token is unknown, revoked or expired; reconnect with a valid one');
}

function expiry(deps: SocketDeps): number {
  return Math.floor(deps.clock.now().getTime() / 1000) + CONNECTION_TTL_SECONDS;
}
