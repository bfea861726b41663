import { expiresWithin } from './token';
import {
  ApiTokenView, ApplicationView, CreateApiTokenBody, CreateApplicationBody, CreatedApiToken, DashboardConfig, DeleteBody, DeletionResult,
  EnvironmentBody, EnvironmentView, FailedDeliveryView, GitHubManifestBody, GitHubManifestForm, GitHubSetupView, LogPageView, Me, RollbackBody,
  SettingsBody, TeardownBody,
} from '../runtime/core/api-types';
import { Deployment, Page } from '../runtime/core/types';

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
 * The typed client of the control API (routes and shapes from core/api-types). One
 * instance per signed-in session; every call carries the bearer token.
 */
export class Api {
  constructor(private readonly baseUrl: string, private readonly token: string, private readonly onUnauthorized: Unauthorized) {}

  me(): Promise<Me> {
    return this.call('GET', '/api/me');
  }

  apps(): Promise<{ items: ApplicationView[] }> {
    return this.call('GET', '/api/apps');
  }

  app(app: string): Promise<ApplicationView> {
    return this.call('GET', `/api/apps/${enc(app)}`);
  }

  deployments(app: string, env: string, cursor?: string, limit = 20): Promise<Page<Deployment>> {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) query.set('cursor', cursor);
    return this.call('GET', `${envPath(app, env)}/deployments?${query}`);
  }

  deployment(id: string): Promise<Deployment> {
    return this.call('GET', `/api/deployments/${enc(id)}`);
  }

  logs(id: string, from: number, limit = 1000): Promise<LogPageView> {
    return this.call('GET', `/api/deployments/${enc(id)}/logs?from=${from}&limit=${limit}`);
  }

  deploy(app: string, env: string): Promise<Deployment> {
    return this.call('POST', `${envPath(app, env)}/deploy`, {});
  }

  promote(app: string, env: string): Promise<Deployment> {
    return this.call('POST', `${envPath(app, env)}/promote`, {});
  }

  rollback(app: string, env: string, body: RollbackBody): Promise<Deployment> {
    return this.call('POST', `${envPath(app, env)}/rollback`, body);
  }

  teardown(app: string, env: string, body: TeardownBody): Promise<Deployment> {
    return this.call('POST', `${envPath(app, env)}/teardown`, body);
  }

  cancel(id: string): Promise<Deployment> {
    return this.call('POST', `/api/deployments/${enc(id)}/cancel`, {});
  }

  settings(app: string, env: string, body: SettingsBody): Promise<EnvironmentView> {
    return this.call('PUT', `${envPath(app, env)}/settings`, body);
  }

  createApp(body: CreateApplicationBody): Promise<ApplicationView> {
    return this.call('POST', '/api/apps', body);
  }

  addEnvironment(app: string, body: EnvironmentBody): Promise<EnvironmentView> {
    return this.call('POST', `/api/apps/${enc(app)}/environments`, body);
  }

  deleteApp(app: string, body: DeleteBody): Promise<DeletionResult> {
    return this.call('DELETE', `/api/apps/${enc(app)}`, body);
  }

  deleteEnvironment(app: string, env: string, body: DeleteBody): Promise<DeletionResult> {
    return this.call('DELETE', envPath(app, env), body);
  }

  github(): Promise<GitHubSetupView> {
    return this.call('GET', '/api/github');
  }

  githubManifest(body: GitHubManifestBody): Promise<GitHubManifestForm> {
    return this.call('POST', '/api/github/manifest', body);
  }

  failedDeliveries(): Promise<{ items: FailedDeliveryView[] }> {
    return this.call('GET', '/api/github/deliveries');
  }

  redeliver(id: number): Promise<{ redelivered: number }> {
    return this.call('POST', `/api/github/deliveries/${id}/redeliver`, {});
  }

  tokens(): Promise<{ items: ApiTokenView[] }> {
    return this.call('GET', '/api/tokens');
  }

  /** The answer holds the token itself: the only time the API gives it. */
  createToken(body: CreateApiTokenBody): Promise<CreatedApiToken> {
    return this.call('POST', '/api/tokens', body);
  }

  revokeToken(id: string): Promise<ApiTokenView> {
    return this.call('DELETE', `/api/tokens/${enc(id)}`);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
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
    return readJson<T>(response);
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

function envPath(app: string, env: string): string {
  return `/api/apps/${enc(app)}/environments/${enc(env)}`;
}

function enc(value: string): string {
  return encodeURIComponent(value);
}

export function errorReason(error: unknown): string {
  return error instanceof ApiError ? error.reason : error instanceof Error ? error.message : String(error);
}
