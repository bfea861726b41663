/**
 * GitHub as core sees it: the calls Trellis makes as a GitHub App, behind ports. One client
 * (runtime/github/) implements them against api.github.com, GitHub Enterprise Server and local
 * mode's GitHub stand-in alike, by base URL; nothing here imports it.
 */

/** What GitHub's app-manifest conversion hands over once: everything Trellis acts with as the App. */
export interface GitHubAppCredentials {
  /** The App's numeric id, as a string. */
  readonly appId: string;
  /** The App's URL name (`https://github.com/apps/<slug>`). */
  readonly slug: string;
  /** PEM (PKCS#1 as GitHub issues it): signs the App's JWTs. Secret. */
  readonly privateKey: string;
  /** OAuth client id of the App's user authorization (sign in with GitHub). */
  readonly clientId: string;
  /** Secret. */
  readonly clientSecret: string;
  /** The App's page on GitHub. */
  readonly htmlUrl?: string;
}

/** A short-lived installation token (GitHub: 1 hour) for exactly one repository. Secret. */
export interface RepositoryToken {
  readonly token: string;
  /** ISO time GitHub gives. */
  readonly expiresAt: string;
}

/** A repository the App is installed on. */
export interface InstalledRepository {
  /** `owner/repo` */
  readonly fullName: string;
  readonly private: boolean;
  readonly defaultBranch: string;
}

/** Commit status states (GitHub's four). */
export type CommitState = 'pending' | 'success' | 'failure' | 'error';

export interface CommitStatusReport {
  readonly repository: string;
  readonly sha: string;
  /** `trellis/<app>/<env>` */
  readonly context: string;
  readonly state: CommitState;
  /** At most 140 characters (GitHub's limit). */
  readonly description: string;
  /** The deployment's page in the dashboard. */
  readonly targetUrl?: string;
}

export interface GitHubDeploymentRequest {
  readonly repository: string;
  /** The commit SHA deployed (never a branch name: the deployment is of this commit). */
  readonly sha: string;
  /** The Trellis environment's name. */
  readonly environment: string;
  readonly description?: string;
  readonly productionEnvironment?: boolean;
  readonly transientEnvironment?: boolean;
}

export type GitHubDeploymentState = 'queued' | 'in_progress' | 'success' | 'failure' | 'error' | 'inactive';

export interface GitHubDeploymentStatus {
  readonly state: GitHubDeploymentState;
  readonly description?: string;
  /** The deployment's page in the dashboard. */
  readonly logUrl?: string;
  /** Where the deployed app answers (a health-check URL or stack output), when known. */
  readonly environmentUrl?: string;
}

/** One delivery from the App's webhook delivery log. */
export interface WebhookDelivery {
  /** GitHub's numeric id of this delivery attempt. */
  readonly id: number;
  /** The `X-GitHub-Delivery` GUID. */
  readonly guid: string;
  readonly event: string;
  readonly action?: string;
  readonly deliveredAt: string;
  /** HTTP status Trellis answered (0: no answer). */
  readonly statusCode: number;
  readonly redelivery: boolean;
  readonly repository?: string;
}

/** A GitHub user signed in through the App's user authorization. */
export interface GitHubUser {
  readonly id: number;
  readonly login: string;
  readonly name?: string;
}

/** A team the user belongs to: `org/team-slug`, both lower case. */
export interface GitHubTeam {
  readonly organization: string;
  readonly slug: string;
}

/** The App acting on repositories it is installed on (all need the App's credentials). */
export interface GitHubApp {
  /**
   * A token limited to `repository` with `contents: read` only, for one build's clone. Throws
   * NotFoundError when the App is not installed on the repository.
   */
  repositoryToken(repository: string): Promise<RepositoryToken>;
  /** Every repository of every installation, sorted by name. */
  installedRepositories(): Promise<InstalledRepository[]>;
  setCommitStatus(report: CommitStatusReport): Promise<void>;
  /** Creates a GitHub Deployment; returns its id. */
  createDeployment(request: GitHubDeploymentRequest): Promise<number>;
  setDeploymentStatus(repository: string, deploymentId: number, status: GitHubDeploymentStatus): Promise<void>;
  /**
   * A pull request's comment: a new one (its id answered), or `commentId`'s body replaced (the
   * same id answered). Needs the App's `pull_requests: write` permission.
   */
  commentOnPullRequest(repository: string, pullRequest: number, body: string, commentId?: number): Promise<number>;
  /** The App's webhook deliveries newer than `since` (ISO), newest first. */
  deliveries(since: string): Promise<WebhookDelivery[]>;
  /** Ask GitHub to send a delivery again. */
  redeliver(deliveryId: number): Promise<void>;
}

/** The App's user authorization (OAuth web flow): who signs in and their teams. */
export interface GitHubUserAuthorization {
  /** `https://github.com/login/oauth/authorize?...` for `state` and `redirectUri`. */
  authorizeUrl(state: string, redirectUri: string): string;
  /** Exchanges the callback's code for a user access token (secret; used at once, never stored). */
  exchangeCode(code: string, redirectUri: string): Promise<string>;
  user(userToken: string): Promise<GitHubUser>;
  /** The user's organization logins, lower case. */
  organizations(userToken: string): Promise<string[]>;
  teams(userToken: string): Promise<GitHubTeam[]>;
}

/** Creating the App from a manifest (GitHub's app-manifest flow). */
export interface GitHubAppManifestConversion {
  /** `POST /app-manifests/{code}/conversions`: GitHub answers the new App's credentials, once. */
  convert(code: string): Promise<GitHubAppCredentials & { readonly webhookSecret: string }>;
}

/** Where GitHub is: api.github.com and github.com, an Enterprise Server, or the local stand-in. */
export interface GitHubEndpoints {
  /** REST API base, e.g. `https://api.github.com`. */
  readonly apiUrl: string;
  /** Web base (manifest form, app pages, OAuth authorize), e.g. `https://github.com`. */
  readonly webUrl: string;
}

export const GITHUB_DOT_COM: GitHubEndpoints = { apiUrl: 'https://api.github.com', webUrl: 'https://github.com' };

/**
 * The installation's GitHub connection as handlers get it. The App may be created after the
 * handlers start (the setup page's manifest flow), so its parts are read when asked for: each
 * answers undefined until the App's credentials exist.
 */
export interface GitHubConnection {
  readonly endpoints: GitHubEndpoints;
  readonly manifest: GitHubAppManifestConversion;
  app(): Promise<GitHubApp | undefined>;
  userAuthorization(): Promise<GitHubUserAuthorization | undefined>;
  /** The App's name and page, once it exists (no secret in it). */
  appInfo(): Promise<{ readonly appId: string; readonly slug: string; readonly htmlUrl?: string } | undefined>;
}
