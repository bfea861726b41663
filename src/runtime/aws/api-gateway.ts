import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { HttpResponse, lowerCaseHeaders } from '../core/http';

/** An HTTP API (payload v2) event as the raw request: headers in lower case, body as bytes. */
export function fromHttpApiEvent(event: APIGatewayProxyEventV2): { headers: Record<string, string>; body: Buffer } {
  const raw = event.body ?? '';
  return {
    headers: lowerCaseHeaders(event.headers),
    body: Buffer.from(raw, event.isBase64Encoded ? 'base64' : 'utf8'),
  };
}

export function toHttpApiResult(response: HttpResponse): APIGatewayProxyStructuredResultV2 {
  return { statusCode: response.statusCode, headers: response.headers, body: response.body };
}
