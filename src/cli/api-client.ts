import { CliError, EXIT } from './exit-codes';
import { Session, causeOf, loginHint } from './session';
import {
  ApiTokenView, ApplicationView, CreateApiTokenBody, CreatedApiToken, DeployBody, LogPageView, Me, RollbackBody, TeardownBody,
} from '../runtime/core/api-types';
import { Deployment, Page } from '../runtime/core/types';

/** No answer from the API (network down, server gone): a poll may try again. */
export class ApiUnreachableError extends CliError {}

/**
 * The control API for the `trellis` command: routes and shapes from core/api-types, the
 * session's bearer token on every call. Every answer other than 2xx becomes a CliError that
 * says what to do: 401 → sign in again (exit 3), 403 → the API's reason, which names the role
 * needed (exit 3), other 4xx/5xx → the API's reason (exit 1), no answer → the URL (exit 1).
 */
export class ApiClient {
  constructor(readonly session: Session) {}

  me(): Promise<Me> {
    return this.call('GET', '/api/me');
  }

  apps(): Promise<{ items: ApplicationView[] }> {
    return this.call('GET', '/api/apps');
  }

  app(app: string): Promise<ApplicationView> {
    return this.call('GET', `/api/apps/${enc(app)}`);
  }

  deployments(app: string, env: string, options: { limit?: number; cursor?: string } = {}): Promise<Page<Deployment>> {
    const query = new URLSearchParams();
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.cursor) query.set('cursor', options.cursor);
    return this.call('GET', `${envPath(app, env)}/deployments${query.size > 0 ? `?${query}` : ''}`);
  }

  deployment(id: string): Promise<Deployment> {
    return this.call('GET', `/api/deployments/${enc(id)}`);
  }

  logs(id: string, from: number, limit?: number): Promise<LogPageView> {
    const query = new URLSearchParams({ from: String(from) });
    if (limit !== undefined) query.set('limit', String(limit));
    return this.call('GET', `/api/deployments/${enc(id)}/logs?${query}`);
  }

  deploy(app: string, env: string, body: DeployBody): Promise<Deployment> {
    return this.call('POST', `${envPath(app, env)}/deploy`, body);
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

  tokens(): Promise<{ items: ApiTokenView[] }> {
    return this.call('GET', '/api/tokens');
  }

  createToken(body: CreateApiTokenBody): Promise<CreatedApiToken> {
    return this.call('POST', '/api/tokens', body);
  }

  revokeToken(id: string): Promise<ApiTokenView> {
    return this.call('DELETE', `/api/tokens/${enc(id)}`);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const address = `${this.session.apiUrl}${path}`;
    let response: Response;
    try {
      response = await fetch(address, {
        method,
        headers: { authorization: `Bearer ${this.session.token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'error',
      });
    } catch (error) {
      throw new ApiUnreachableError(`cannot reach ${this.session.apiUrl} (${method} ${path}): ${causeOf(error)}`);
    }
    const text = await response.text();
    const answer = parse(text);
    if (response.ok) return answer as T;
    const reason = typeof (answer as { reason?: unknown })?.reason === 'string'
      ? (answer as { reason: string }).reason
      : `HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
    if (response.status === 401) throw new CliError(this.unauthorized(reason), EXIT.auth);
    if (response.status === 403) throw new CliError(`not allowed: ${reason}`, EXIT.auth);
    throw new CliError(reason, EXIT.failed);
  }

  private unauthorized(reason: string): string {
    const { url, tokenSource } = this.session;
    if (tokenSource === 'TRELLIS_TOKEN') return `${url} refused TRELLIS_TOKEN (${reason}): check the token, or create a new one with \`trellis tokens create\``;
    return `${url} refused the stored sign-in (${reason}): ${loginHint(url)}`;
  }
}

function parse(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

function envPath(app: string, env: string): string {
  return `/api/apps/${enc(app)}/environments/${enc(env)}`;
}
