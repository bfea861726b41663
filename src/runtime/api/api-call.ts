import type { GitHubSignInSettings } from '../auth/github-sign-in';
import { Principal } from '../core/access';
import { GitHubConnection } from '../core/github';
import { HttpResponse } from '../core/http';
import { Clock, CommitSource, LaunchQueue, SecretStore, Store, TaskRunner } from '../core/ports';

/** One control API request, as the Lambda handler and the local server both deliver it. */
export interface ApiRequest {
  readonly method: string;
  /** Without query string, e.g. `/api/apps/web`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string | undefined>>;
  /** The raw body text ('' when there is none). */
  readonly body: string;
  /** The verified caller; undefined answers 401 everywhere but `GET /api/health`. */
  readonly principal?: Principal;
  /** Why the credential the request carried was refused: the 401 says so (else it asks for one). */
  readonly refusal?: string;
}

export interface ApiDeps {
  readonly store: Store;
  readonly queue: LaunchQueue;
  readonly commits: CommitSource;
  readonly secrets: SecretStore;
  /** Stops the task of a running deployment that is cancelled (it starts none). */
  readonly runner: TaskRunner;
  /** Secret names are `trellis/<installation>/...`. */
  readonly installation: string;
  /** The installation's GitHub App connection. @default none: repositories are reached with a personal access token */
  readonly github?: GitHubConnection;
  /** Sign in with GitHub (its routes need `github` and `urls` too). @default none: its routes answer 404 */
  readonly githubSignIn?: GitHubSignInSettings;
  /** Where this installation answers: links handed to GitHub (the App's manifest) and redirects. @default none: the setup page cannot make an App */
  readonly urls?: InstallationUrls;
  /** The organization the setup page makes the GitHub App in. @default the admin's own account */
  readonly githubOrganization?: string;
  /** The App's credentials are the user's own secrets (GitHubApp.fromSecrets): the setup page neither creates nor replaces it. @default false */
  readonly githubAppGiven?: boolean;
  /**
   * Local mode: an absolute path given as a new application's repository is a local git
   * repository, hosted by its GitHub stand-in; answers its name (`local/<folder>`), or throws a
   * ValidationError naming `repository`. @default none: a repository is `owner/repo`
   */
  readonly localRepositories?: { host(path: string): Promise<string> };
  /** How long audit trail entries are kept, in days. @default 365 */
  readonly auditRetentionDays?: number;
  readonly clock: Clock;
  /** Never given a secret value or a request body. */
  readonly log: (entry: Record<string, unknown>) => void;
}

/** The installation's own addresses, as the browser and GitHub reach them. */
export interface InstallationUrls {
  /** The control API's base URL (its routes are /api/..., /github/..., /auth/...). */
  readonly api: string;
  /** The dashboard's base URL (CloudFront, or local mode's server); its pages are `#/...` fragments. */
  readonly dashboard: string;
  /** Where GitHub POSTs webhooks. */
  readonly webhook: string;
}

/** What a route handler gets: an authenticated caller, validated path parameters, the parsed body. */
export interface ApiCall {
  readonly principal: Principal;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  /** Parsed JSON for POST and PUT routes (undefined for an empty body); undefined for GET. */
  readonly body: unknown;
  readonly deps: ApiDeps;
}

export type RouteHandler = (call: ApiCall) => Promise<HttpResponse>;
