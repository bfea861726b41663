import {
  ApiTokenView, ApplicationView, CreateApiTokenBody, CreateApplicationBody, CreatedApiToken, DeleteBody, DeletionResult, DeployBody,
  EnvironmentBody, EnvironmentView, FailedDeliveryView, GitHubManifestBody, GitHubManifestForm, GitHubSetupView, LogPageView, Me,
  RollbackBody, SettingsBody, TeardownBody,
} from './api-types';
import { Deployment, Page } from './types';

export type ApiMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * The control API's routes as typed calls (api-types.ts documents them): one list of paths,
 * bodies and answers for every client. A client brings the transport: how a call is sent, with
 * which token, and what a refusal becomes (the dashboard's ApiError, the `trellis` command's exit
 * codes). Path segments are URL-encoded here.
 */
export abstract class ControlApiCalls {
  me(): Promise<Me> {
    return this.call('GET', '/api/me');
  }

  apps(): Promise<{ items: ApplicationView[] }> {
    return this.call('GET', '/api/apps');
  }

  app(app: string): Promise<ApplicationView> {
    return this.call('GET', `/api/apps/${enc(app)}`);
  }

  deployments(app: string, env: string, options: { readonly limit?: number; readonly cursor?: string } = {}): Promise<Page<Deployment>> {
    const query = new URLSearchParams();
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.cursor) query.set('cursor', options.cursor);
    return this.call('GET', `${envPath(app, env)}/deployments${withQuery(query)}`);
  }

  deployment(id: string): Promise<Deployment> {
    return this.call('GET', `/api/deployments/${enc(id)}`);
  }

  logs(id: string, from: number, limit?: number): Promise<LogPageView> {
    const query = new URLSearchParams({ from: String(from) });
    if (limit !== undefined) query.set('limit', String(limit));
    return this.call('GET', `/api/deployments/${enc(id)}/logs${withQuery(query)}`);
  }

  deploy(app: string, env: string, body: DeployBody = {}): Promise<Deployment> {
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

  /** Send one call (`path` from `/api/...`, `body` as JSON when given) and answer its parsed 2xx body, or throw. */
  protected abstract call<T>(method: ApiMethod, path: string, body?: unknown): Promise<T>;
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

function envPath(app: string, env: string): string {
  return `/api/apps/${enc(app)}/environments/${enc(env)}`;
}

function withQuery(query: URLSearchParams): string {
  const text = query.toString();
  return text ? `?${text}` : '';
}
