import { TABLE_NAME } from './function-environment';

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
  /** JWT issuer (a Cognito user pool URL or any OIDC issuer); absent = every connection refused. */
  authIssuer: 'AUTH_ISSUER',
  /** Accepted `aud` / `client_id` values, comma-separated. */
  authAudience: 'AUTH_AUDIENCE',
  /** JWKS URL; default `<issuer>/.well-known/jwks.json`. */
  authJwksUrl: 'AUTH_JWKS_URL',
} as const;

/** WebSocket connections and subscriptions expire after API Gateway's 2-hour connection limit. */
export const CONNECTION_TTL_SECONDS = 2 * 60 * 60;
export const DEFAULT_LOG_RETENTION_DAYS = 90;
