import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';

export interface HttpApiEventOptions {
  /** Header names in lower case, as API Gateway passes them. @default - none */
  readonly headers?: Record<string, string | undefined>;
  readonly body?: string;
  /** The body is base64 (API Gateway encodes a binary body). @default false */
  readonly isBase64Encoded?: boolean;
  /** What a JWT authorizer verified: the token's claims flattened to strings. @default - no authorizer */
  readonly claims?: Record<string, string>;
  /** The route that matched, e.g. `ANY /api/{proxy+}`. @default `${method} ${rawPath}` */
  readonly routeKey?: string;
}

/**
 * The event an API Gateway HTTP API (payload format 2.0) hands a Lambda function for
 * `method rawPath`, with the request context fields it always sets.
 */
export function httpApiEvent(method: string, rawPath: string, options: HttpApiEventOptions = {}): APIGatewayProxyEventV2WithJWTAuthorizer {
  const routeKey = options.routeKey ?? `${method} ${rawPath}`;
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: '',
    headers: options.headers ?? {},
    body: options.body,
    isBase64Encoded: options.isBase64Encoded ?? false,
    requestContext: {
      accountId: '111122223333',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      requestId: 'req-1',
      routeKey,
      stage: '$default',
      time: '01/Mar/2026:12:00:00 +0000',
      timeEpoch: 1772366400000,
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'jest' },
      ...options.claims && { authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: options.claims, scopes: null } } },
    } as APIGatewayProxyEventV2WithJWTAuthorizer['requestContext'],
  } as APIGatewayProxyEventV2WithJWTAuthorizer;
}
