import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { logJson } from './json-log';
import { LOG_SETTINGS } from '../../contract/log-settings';
import { authenticatorFromEnvironment } from '../auth/authenticator-from-env';
import { ApiGatewaySink } from '../aws/api-gateway-sink';
import { systemClock } from '../core/ports';
import { SocketEvent, handleSocketEvent } from '../logs/socket-handler';
import { createDynamoStore } from '../store/dynamo-store';
import { tableContext } from '../store/table-context';

const deps = {
  store: createDynamoStore(tableContext(process.env[LOG_SETTINGS.tableName]!)),
  sink: new ApiGatewaySink(process.env[LOG_SETTINGS.connectionsEndpoint]!),
  authenticator: authenticatorFromEnvironment(),
  clock: systemClock,
  log: logJson,
};

/** $connect carries the token in the query string: browsers cannot set headers on a WebSocket. */
type WebSocketEvent = APIGatewayProxyWebsocketEventV2 & { queryStringParameters?: Record<string, string | undefined> };

/** Every route of the WebSocket API: $connect, $disconnect, subscribe, unsubscribe, $default. */
export async function handler(event: WebSocketEvent): Promise<APIGatewayProxyResultV2> {
  const { routeKey, connectionId } = event.requestContext;
  const socketEvent: SocketEvent = routeKey === '$connect'
    ? { kind: 'connect', connectionId, token: event.queryStringParameters?.token }
    : routeKey === '$disconnect'
      ? { kind: 'disconnect', connectionId }
      : { kind: 'message', connectionId, body: event.body ?? '' };
  const result = await handleSocketEvent(socketEvent, deps);
  return { statusCode: result.statusCode, body: result.reason ?? '' };
}
