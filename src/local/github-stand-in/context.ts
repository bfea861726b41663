import { StateFile, StoredApp, StoredInstallation, StoredRepository } from './state';

/** What the stand-in's routes and its programmatic interface share. */
export interface StandInContext {
  readonly file: StateFile;
  /** The web base, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The scopes of every installation token issued since start (tests assert on them). */
  readonly issued: Array<{ repositories: string[]; permissions: Record<string, string> }>;
  readonly log: (entry: Record<string, unknown>) => void;
  now(): Date;
  /** Send a recorded delivery again (same body and GUID); returns the status code answered. */
  redeliver(deliveryId: number): Promise<number>;
}

export function apiUrl(context: StandInContext): string {
  return `${context.url}/api/v3`;
}

export function repositoryJson(context: StandInContext, repository: StoredRepository): Record<string, unknown> {
  const [owner, name] = repository.fullName.split('/');
  return {
    id: repository.id,
    node_id: `R_${repository.id}`,
    name,
    full_name: repository.fullName,
    private: repository.private,
    visibility: repository.private ? 'private' : 'public',
    owner: { login: owner, type: 'User' },
    html_url: `${context.url}/${repository.fullName}`,
    clone_url: `${context.url}/${repository.fullName}.git`,
    url: `${apiUrl(context)}/repos/${repository.fullName}`,
    default_branch: repository.defaultBranch,
  };
}

export function appJson(context: StandInContext, app: StoredApp): Record<string, unknown> {
  return {
    id: app.id,
    slug: app.slug,
    node_id: `A_${app.id}`,
    name: app.name,
    owner: { login: app.owner, type: 'User' },
    html_url: `${context.url}/apps/${app.slug}`,
    client_id: app.clientId,
    permissions: app.permissions,
    events: app.events,
    created_at: app.createdAt,
    updated_at: app.createdAt,
  };
}

export function installationJson(context: StandInContext, app: StoredApp, installation: StoredInstallation): Record<string, unknown> {
  return {
    id: installation.id,
    account: { login: installation.account, type: 'User' },
    app_id: app.id,
    app_slug: app.slug,
    target_type: 'User',
    repository_selection: 'selected',
    permissions: app.permissions,
    events: app.events,
    created_at: installation.createdAt,
    html_url: `${context.url}/settings/installations/${installation.id}`,
    access_tokens_url: `${apiUrl(context)}/app/installations/${installation.id}/access_tokens`,
    repositories_url: `${apiUrl(context)}/installation/repositories`,
  };
}

/** The App's installation holding `fullName`, if any. */
export function installationOf(context: StandInContext, fullName: string): StoredInstallation | undefined {
  return context.file.state.installations.find(installation => installation.repositories.includes(fullName));
}
