import { TrellisError, httpStatusOf } from './errors';

/** The response shape every HTTP entry point returns (Lambda proxy result and local server alike). */
export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export function json(statusCode: number, body: unknown): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    body: JSON.stringify(body),
  };
}

/** A client error with a reason: `{ "error": code, "reason": "..." }`. */
export function rejection(statusCode: number, code: string, reason: string): HttpResponse {
  return json(statusCode, { error: code, reason });
}

/** Map a thrown error to its status; internal details never reach the response. */
export function errorResponse(error: unknown): HttpResponse {
  const status = httpStatusOf(error);
  if (error instanceof TrellisError && status < 500) return rejection(status, error.code, error.message);
  return rejection(500, 'internal_error', 'the request could not be processed; it was logged');
}

/** Header lookup that ignores case, as HTTP does. */
export function lowerCaseHeaders(headers: Record<string, string | undefined> | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) result[name.toLowerCase()] = value;
  }
  return result;
}
