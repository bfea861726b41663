import { AuditFilters } from './audit';
import { expiresWithin } from './token';
import { ApiMethod, ControlApiCalls, auditPath } from '../runtime/core/api-calls';
import { DashboardConfig } from '../runtime/core/api-types';

/** An answer other than 2xx: the API's `{ error, reason }`, or what the network said. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, readonly reason: string) {
    super(reason);
  }
}

/** Called once when the API says the token is no longer good (401). */
export type Unauthorized = () => void;

/**
 * A network error with a token this close to its expiry counts as a 401: an answer API Gateway
 * gives itself (throttled, timed out) lacks the CORS headers the API function adds, so the
 * browser reports a network error, and near expiry signing in again is the likely remedy. The
 * margin covers a clock a few minutes off.
 */
export const EXPIRY_MARGIN_MS = 5 * 60_000;

/**
 * The control API's calls (core/api-calls) over the browser's fetch. One
 * instance per signed-in session; every call carries the bearer token.
 */
export class Api extends ControlApiCalls {
  constructor(private readonly baseUrl: string, private readonly token: string, private readonly onUnauthorized: Unauthorized) {
    super();
  }

  protected async call<T>(method: ApiMethod, path: string, body?: unknown): Promise<T> {
    return readJson<T>(await this.send(method, path, body));
  }

  /**
   * Every audit entry of `app` matching `filters`, as the API's JSON lines (`format=jsonl`):
   * the text as sent, for saving as a file.
   */
  async auditJsonLines(app: string, filters: AuditFilters): Promise<string> {
    const response = await this.send('GET', auditPath(app, { ...filters, format: 'jsonl' }));
    return response.ok ? response.text() : readJson<never>(response);
  }

  private async send(method: ApiMethod, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await request(joinUrl(this.baseUrl, path), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      if (expiresWithin(this.token, EXPIRY_MARGIN_MS)) this.onUnauthorized();
      throw error;
    }
    if (response.status === 401) this.onUnauthorized();
    return response;
  }
}

/** `{ token }` for a user and password of local mode. */
export async function localSignIn(config: DashboardConfig, user: string, password: string): Promise<string> {
  const response = await request(joinUrl(config.apiUrl, '/auth/local/sign-in'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, password }),
  });
  return (await readJson<{ token: string }>(response)).token;
}

export async function loadConfig(): Promise<DashboardConfig> {
  // Relative: the dashboard may live under any path of its host.
  return readJson<DashboardConfig>(await request('config.json', { cache: 'no-store' }));
}

async function request(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch {
    throw new ApiError(0, 'network', 'The server could not be reached. Check the connection and try again.');
  }
}

export async function readJson<T>(response: Response): Promise<T> {
  const text = await response.text();
  let value: unknown;
  try {
    value = text === '' ? undefined : JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (!response.ok) {
    const error = (value ?? {}) as { error?: string; reason?: string };
    throw new ApiError(response.status, error.error ?? `http_${response.status}`, error.reason ?? `The server answered ${response.status} ${response.statusText}`.trim());
  }
  return value as T;
}

export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}

export function errorReason(error: unknown): string {
  return error instanceof ApiError ? error.reason : error instanceof Error ? error.message : String(error);
}
