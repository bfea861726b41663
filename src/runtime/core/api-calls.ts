import { ALL_APPLICATIONS } from './access';
import {
  ApiTokenView, ApplicationView, AuditAction, AuditEntryView, CreateApiTokenBody, CreateApplicationBody, CreatedApiToken, DeleteBody, DeletionResult,
  DeployBody, NotificationFailureView,
  EnvironmentBody, EnvironmentView, FailedDeliveryView, GitHubManifestBody, GitHubManifestForm, GitHubSetupView, LogPageView, Me,
  PreviewsSwitchBody, PreviewsView, RollbackBody, SettingsBody, TeardownBody,
} from './api-types';
import { Deployment, Page } from './types';

export type ApiMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * The control API's routes as typed calls (api-types.ts documents them): one list of paths,
 * bodies and answers for every client. A client brings the transport: how a call is sent, with
 * which token, and what a refusal becomes (the dashboard's ApiError, the `trellis` command's exit
 * codes). Path segments are URL-encoded here ('', '.' and '..' refused: the calls are async, so
 * that is a rejected promise like any other refusal).
 */
export abstract class ControlApiCalls {
  async me(): Promise<Me> {
    return this.call('GET', '/api/me');
  }

  async apps(): Promise<{ items: ApplicationView[] }> {
    return this.call('GET', '/api/apps');
  }

  async app(app: string): Promise<ApplicationView> {
    return this.call('GET', `/api/apps/${enc(app)}`);
  }

  async deployments(app: string, env: string, options: { readonly limit?: number; readonly cursor?: string } = {}): Promise<Page<Deployment>> {
    const query = new URLSearchParams();
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.cursor) query.set('cursor', options.cursor);
    return this.call('GET', `${envPath(app, env)}/deployments${withQuery(query)}`);
  }

  async deployment(id: string): Promise<Deployment> {
    return this.call('GET', `/api/deployments/${enc(id)}`);
  }

  async logs(id: string, from: number, limit?: number): Promise<LogPageView> {
    const query = new URLSearchParams({ from: String(from) });
    if (limit !== undefined) query.set('limit', String(limit));
    return this.call('GET', `/api/deployments/${enc(id)}/logs${withQuery(query)}`);
  }

  async deploy(app: string, env: string, body: DeployBody = {}): Promise<Deployment> {
    return this.call('POST', `${envPath(app, env)}/deploy`, body);
  }

  async promote(app: string, env: string): Promise<Deployment> {
    return this.call('POST', `${envPath(app, env)}/promote`, {});
  }

  async rollback(app: string, env: string, body: RollbackBody): Promise<Deployment> {
    return this.call('POST', `${envPath(app, env)}/rollback`, body);
  }

  async teardown(app: string, env: string, body: TeardownBody): Promise<Deployment> {
    return this.call('POST', `${envPath(app, env)}/teardown`, body);
  }

  async cancel(id: string): Promise<Deployment> {
    return this.call('POST', `/api/deployments/${enc(id)}/cancel`, {});
  }

  async settings(app: string, env: string, body: SettingsBody): Promise<EnvironmentView> {
    return this.call('PUT', `${envPath(app, env)}/settings`, body);
  }

  async createApp(body: CreateApplicationBody): Promise<ApplicationView> {
    return this.call('POST', '/api/apps', body);
  }

  async addEnvironment(app: string, body: EnvironmentBody): Promise<EnvironmentView> {
    return this.call('POST', `/api/apps/${enc(app)}/environments`, body);
  }

  async deleteApp(app: string, body: DeleteBody): Promise<DeletionResult> {
    return this.call('DELETE', `/api/apps/${enc(app)}`, body);
  }

  async deleteEnvironment(app: string, env: string, body: DeleteBody): Promise<DeletionResult> {
    return this.call('DELETE', envPath(app, env), body);
  }

  /** A fork preview's waiting commit deploys. */
  async approve(app: string, env: string): Promise<Deployment> {
    return this.call('POST', `${envPath(app, env)}/approve`, {});
  }

  async switchPreviews(app: string, body: PreviewsSwitchBody): Promise<PreviewsView> {
    return this.call('PUT', `/api/apps/${enc(app)}/previews`, body);
  }

  async github(): Promise<GitHubSetupView> {
    return this.call('GET', '/api/github');
  }

  async githubManifest(body: GitHubManifestBody): Promise<GitHubManifestForm> {
    return this.call('POST', '/api/github/manifest', body);
  }

  async failedDeliveries(): Promise<{ items: FailedDeliveryView[] }> {
    return this.call('GET', '/api/github/deliveries');
  }

  async redeliver(id: number): Promise<{ redelivered: number }> {
    return this.call('POST', `/api/github/deliveries/${id}/redeliver`, {});
  }

  /** A page of the application's audit trail, newest first (admins of the application); `*`: the installation's (its admins). */
  async audit(app: string, query: AuditQuery = {}): Promise<Page<AuditEntryView>> {
    return this.call('GET', auditPath(app, query));
  }

  /** The application's notifications that were not delivered, newest first (its viewers). */
  async notificationFailures(app: string): Promise<{ items: NotificationFailureView[] }> {
    return this.call('GET', `/api/apps/${enc(app)}/notifications/failures`);
  }

  async tokens(): Promise<{ items: ApiTokenView[] }> {
    return this.call('GET', '/api/tokens');
  }

  /** The answer holds the token itself: the only time the API gives it. */
  async createToken(body: CreateApiTokenBody): Promise<CreatedApiToken> {
    return this.call('POST', '/api/tokens', body);
  }

  async revokeToken(id: string): Promise<ApiTokenView> {
    return this.call('DELETE', `/api/tokens/${enc(id)}`);
  }

  /** Send one call (`path` from `/api/...`, `body` as JSON when given) and answer its parsed 2xx body, or throw. */
  protected abstract call<T>(method: ApiMethod, path: string, body?: unknown): Promise<T>;
}

/** Which audit entries to read: all filters must match. */
export interface AuditQuery {
  readonly limit?: number;
  readonly cursor?: string;
  readonly action?: AuditAction;
  /** The actor's display name, exactly (`ada`, `token ci`). */
  readonly actor?: string;
  readonly environment?: string;
}

/**
 * The path of an audit trail read (`*`: the installation's own); with `format: 'jsonl'` the export: every match as JSON lines
 * (application/x-ndjson), which a client fetches itself (call() parses one JSON answer).
 */
export function auditPath(app: string, query: AuditQuery & { readonly format?: 'jsonl' } = {}): string {
  const params = new URLSearchParams();
  for (const name of ['limit', 'cursor', 'action', 'actor', 'environment', 'format'] as const) {
    const value = query[name];
    if (value !== undefined && value !== '') params.set(name, String(value));
  }
  return app === ALL_APPLICATIONS ? `/api/audit${withQuery(params)}` : `/api/apps/${enc(app)}/audit${withQuery(params)}`;
}

/**
 * One path segment, URL-encoded. '', '.' and '..' are refused: a URL parser (WHATWG's too, even
 * as %2e%2e) resolves them, so `/api/apps/..` would ask for another route than the one named.
 */
function enc(segment: string): string {
  if (segment === '' || segment === '.' || segment === '..') throw new Error(`'${segment}' cannot name an application, environment, deployment or token`);
  return encodeURIComponent(segment);
}

function envPath(app: string, env: string): string {
  return `/api/apps/${enc(app)}/environments/${enc(env)}`;
}

function withQuery(query: URLSearchParams): string {
  const text = query.toString();
  return text ? `?${text}` : '';
}
