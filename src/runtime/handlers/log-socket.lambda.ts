import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { logJson } from './json-log';
import { LOG_SETTINGS } from '../../contract/log-settings';
import { requestAuthenticatorFromEnvironment } from '../auth/authenticator-from-env';
import { connectCredential } from '../auth/bearer-credential';
import { ApiGatewaySink } from '../aws/api-gateway-sink';
import { systemClock } from '../core/ports';
import { SocketEvent, handleSocketEvent } from '../logs/socket-handler';
import { createDynamoStore } from '../store/dynamo-store';
import { tableContext } from '../store/table-context';

const store = createDynamoStore(tableContext(process.env[LOG_SETTINGS.tableName]!));
const deps = {
  store,
  sink: new ApiGatewaySink(process.env[LOG_SETTINGS.connectionsEndpoint]!),
  // As the control API verifies them.
  authenticator: requestAuthenticatorFromEnvironment(store.apiTokens, process.env, logJson),
  clock: systemClock,
  log: logJson,
};

/** $connect carries the token in the query string (browsers cannot set headers on a WebSocket) or an Authorization header. */
type WebSocketEvent = APIGatewayProxyWebsocketEventV2 & {
  queryStringParameters?: Record<string, string | undefined>;
  headers?: Record<string, string | undefined>;
};

/** Every route of the WebSocket API: $connect, $disconnect, subscribe, unsubscribe, $default. */
export async function handler(event: WebSocketEvent): Promise<APIGatewayProxyResultV2> {
  const { routeKey, connectionId } = event.requestContext;
  const socketEvent: SocketEvent = routeKey === '$connect'
    ? { kind: 'connect', connectionId, token: connectCredential(event.queryStringParameters?.token, headerOf(event, 'authorization')) }
    : routeKey === '$disconnect'
      ? { kind: 'disconnect', connectionId }
      : { kind: 'message', connectionId, body: event.body ?? '' };
  const result = await handleSocketEvent(socketEvent, deps);
  return { statusCode: result.statusCode, body: result.reason ?? '' };
}

function headerOf(event: WebSocketEvent, name: string): string | undefined {
  return Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === name)?.[1];
}
