import { AUTH_ENV, TABLE_NAME } from './function-environment';

/** Environment of the LogStream functions, set by the construct, read by the handlers. */
export const LOG_SETTINGS = {
  tableName: TABLE_NAME,
  /** https://<api>.execute-api.<region>.amazonaws.com/<stage>: where fan-out posts. */
  connectionsEndpoint: 'CONNECTIONS_ENDPOINT',
  /**
   * Which path an ingest function serves, `live` (builds invoke it) or `archive` (the build log
   * group's subscription): it refuses events of the other.
   */
  ingestPath: 'TRELLIS_INGEST_PATH',
  /** Log chunks expire this many days after they are written. */
  retentionDays: 'LOG_RETENTION_DAYS',
  /** Which JWTs open a connection (AUTH_ENV); without an issuer only API tokens do. */
  authIssuer: AUTH_ENV.issuer,
  authAudience: AUTH_ENV.audience,
  authJwksUrl: AUTH_ENV.jwksUrl,
} as const;

/** WebSocket connections and subscriptions expire after API Gateway's 2-hour connection limit. */
export const CONNECTION_TTL_SECONDS = 2 * 60 * 60;
export const DEFAULT_LOG_RETENTION_DAYS = 90;
