import { Grant, Role } from './access';
import { InstalledRepository } from './github';
import { NotificationEvent, NotificationKind } from './notification-config';
import { ApplicationOrigin, Deployment, EnvironmentKind, FrameworkConfig, HealthCheckConfig, LogRecord } from './types';

/**
 * The control API's contract: routes and JSON shapes, shared by the handlers, the local
 * server and the dashboard. Every route but the public ones (`GET /api/health`, the sign-in routes) needs
 * `Authorization: Bearer <JWT or API token>` (API tokens: core/api-tokens.ts).
 * Errors are `{ "error": code, "reason": "..." }` with 400/401/403/404/409.
 *
 *   GET  /api/health                                     → { ok: true }            (no token)
 *   GET  /api/me                                         → Me
 *   GET  /api/apps                                       → { items: ApplicationView[] }
 *   GET  /api/apps/{app}                                 → ApplicationView
 *   GET  /api/apps/{app}/environments/{env}/deployments  ?limit&cursor → Page<Deployment>
 *   GET  /api/deployments/{id}                           → Deployment (with phases)
 *   GET  /api/deployments/{id}/logs                      ?from&limit → LogPage
 *   POST /api/apps/{app}/environments/{env}/deploy       DeployBody → 202 Deployment (newest commit of the env's branch or another, or one commit)
 *   POST /api/apps/{app}/environments/{env}/promote      {}  → 202 Deployment (this env's current version → the next env)
 *   POST /api/apps/{app}/environments/{env}/rollback     RollbackBody → 202 Deployment
 *   POST /api/apps/{app}/environments/{env}/teardown     TeardownBody → 202 Deployment
 *   POST /api/deployments/{id}/cancel                    {}  → Deployment
 *   PUT  /api/apps/{app}/environments/{env}/settings     SettingsBody → EnvironmentView (admin)
 *   POST   /api/apps                                     CreateApplicationBody → 201 ApplicationView (admin of all applications)
 *   POST   /api/apps/{app}/environments                  EnvironmentBody → 201 EnvironmentView (admin; dashboard-made apps)
 *   DELETE /api/apps/{app}                               DeleteBody → 200/202 DeletionResult (admin; dashboard-made apps)
 *   DELETE /api/apps/{app}/environments/{env}            DeleteBody → 200/202 DeletionResult (admin; dashboard-made apps)
 *   GET  /api/github                                     → GitHubSetupView (repositories: admin only)
 *   POST /api/github/manifest                            GitHubManifestBody → GitHubManifestForm (admin)
 *   GET  /github/app-created                             ?code&state → 302 to the setup page (no token: GitHub sends the browser)
 *   GET  /api/github/deliveries                          → { items: FailedDeliveryView[] } (admin)
 *   POST /api/github/deliveries/{delivery}/redeliver     {}  → 202 { redelivered: id } (admin)
 *   POST /api/apps/{app}/environments/{env}/approve      {}  → 202 Deployment (a fork preview's waiting commit deploys; deployer)
 *   PUT  /api/apps/{app}/previews                        PreviewsSwitchBody → PreviewsView (admin; only an application with previews in code)
 *   GET  /api/apps/{app}/audit                         ?limit&cursor&action&actor&environment&format=jsonl → Page<AuditEntryView> (admin of the application; jsonl: every match, one per line)
 *   GET  /api/apps/{app}/notifications/failures        → { items: NotificationFailureView[] } (viewer of the application; newest first)
 *   GET    /api/tokens                                   → { items: ApiTokenView[] } (admin: the tokens of the applications they administer)
 *   POST   /api/tokens                                   CreateApiTokenBody → 201 CreatedApiToken (admin of the token's application; not with an API token)
 *   DELETE /api/tokens/{token}                           → ApiTokenView, revoked (admin of the token's application; not with an API token)
 *
 * Roles: `viewer` reads; `deployer` deploys, promotes, rolls back, tears down and cancels in
 * environments that are not protected; `admin` does all of it everywhere and changes settings.
 * A promotion is checked against the environment it deploys to.
 */

export interface Me {
  readonly subject: string;
  readonly name: string;
  readonly grants: readonly Grant[];
}

/** Where a setting's value comes from: code (the construct) or a dashboard change, which wins until cleared. */
export type SettingSource = 'code' | 'dashboard';

export interface EnvironmentView {
  readonly name: string;
  readonly kind: EnvironmentKind;
  readonly position: number;
  readonly branch?: string;
  readonly autoDeploy: boolean;
  readonly protected: boolean;
  readonly runTests: boolean;
  readonly testCommand: readonly string[];
  readonly region?: string;
  readonly account?: string;
  /** Non-secret variables with their values. */
  readonly variables: Readonly<Record<string, string>>;
  /** Secret variables: names only, never values. */
  readonly secrets: ReadonlyArray<{ readonly name: string; readonly set: true }>;
  /** The source of each setting that can be changed at runtime. */
  readonly sources: {
    readonly branch: SettingSource;
    readonly runTests: SettingSource;
    readonly testCommand: SettingSource;
    readonly variables: SettingSource;
  };
  readonly currentCommit?: string;
  readonly currentDeploymentId?: string;
  /** The newest deployment of this environment, whatever its status. */
  readonly lastDeployment?: Deployment;
  /** The deployment that holds the environment now (launching or running). */
  readonly activeDeploymentId?: string;
  /** The one deployment waiting for it (newer requests replace it). */
  readonly waitingDeploymentId?: string;
  /** Present while the environment is being deleted (its teardown runs, or failed: then `failure` says why). */
  readonly deleting?: DeletionView;
  /** What the caller may do here (the dashboard shows buttons from this). */
  readonly allowed: {
    readonly deploy: boolean;
    readonly promote: boolean;
    readonly rollback: boolean;
    readonly teardown: boolean;
    readonly settings: boolean;
    /** A fork preview's commit waits for approval and the caller may deploy here. */
    readonly approve?: boolean;
  };
  /** Present on a pull request's preview environment. */
  readonly preview?: PreviewView;
}

/** What a preview environment shows about its pull request. */
export interface PreviewView {
  readonly pullRequest: number;
  readonly title?: string;
  readonly author?: string;
  /** From a fork: its builds get no secret, and each new commit waits for approval (forks: approve). */
  readonly fork: boolean;
  readonly headRef: string;
  readonly headSha: string;
  /** The environment whose settings it copies. */
  readonly from: string;
  /** The fork's commit waiting for a deployer's approval. */
  readonly awaitingApproval?: string;
  /** The pull request closed: the preview is being torn down and removed. */
  readonly closedAt?: string;
}

/** An application's pull-request previews (present when configured in code). */
export interface PreviewsView {
  readonly from: string;
  readonly forks: 'approve' | 'ignore';
  readonly maxConcurrent: number;
  /** The dashboard's switch (admins). */
  readonly enabled: boolean;
  /** The preview environments, by pull request number. */
  readonly environments: readonly EnvironmentView[];
}

/** PUT /api/apps/{app}/previews */
export interface PreviewsSwitchBody {
  readonly enabled: boolean;
}

export interface ApplicationView {
  readonly name: string;
  readonly repository: string;
  /** `code`: TrellisPipeline applications (or the local config file), changed there only; `dashboard`: made here, deletable here. */
  readonly origin: ApplicationOrigin;
  /** Present while the application is being deleted. */
  readonly deleting?: DeletionView;
  /** In promotion order. */
  readonly environments: readonly EnvironmentView[];
  /** Pull-request previews, when the application configures them. */
  readonly previews?: PreviewsView;
}

/** A deletion under way: the teardown it waits for, and why that teardown failed when it did (DELETE again retries). */
export interface DeletionView {
  readonly requestedAt: string;
  readonly requestedBy?: string;
  readonly teardownId?: string;
  readonly failure?: string;
}

/** Environments default to development (`dev`, branch main), staging and production. */
export interface CreateApplicationBody {
  readonly name: string;
  /** `owner/repo`; with a GitHub App, one of the repositories it is installed on. */
  readonly repository: string;
  /** Without secrets (add them in the environment's settings). */
  readonly environments?: ReadonlyArray<Omit<EnvironmentBody, 'secrets'>>;
}

/** A new environment: the construct's rules and kind defaults (a standard kind's name and branch when not given). */
export interface EnvironmentBody {
  readonly name?: string;
  readonly kind: EnvironmentKind;
  readonly branch?: string;
  readonly autoDeploy?: boolean;
  readonly runTests?: boolean;
  readonly testCommand?: readonly string[];
  readonly variables?: Readonly<Record<string, string>>;
  /** Values are written to Secrets Manager and never returned. */
  readonly secrets?: Readonly<Record<string, string>>;
  readonly region?: string;
  readonly account?: string;
  readonly deployRoleArn?: string;
  /** How it deploys (custom commands as argument vectors); absent = detected from the repository. */
  readonly framework?: FrameworkConfig;
  /** The app's folder in the repository; absent = the application's. */
  readonly rootDirectory?: string;
  readonly nodeVersion?: string;
  readonly stacks?: readonly string[];
  readonly dependencyCache?: boolean;
  /** As in the construct; the limits default as there. */
  readonly healthCheck?: Partial<HealthCheckConfig>;
}

/** The application's or environment's name, typed again: deleting tears down what it deployed. */
export interface DeleteBody {
  readonly confirm: string;
  /**
   * Delete without tearing down: what it deployed stays running (for a teardown that cannot
   * succeed, e.g. a remove command that fails). Refused while a deployment is under way.
   */
  readonly keepDeployed?: boolean;
}

/** `deleted` (200): gone now, nothing was deployed; `tearing-down` (202): deleted once these teardowns succeed. */
export interface DeletionResult {
  readonly status: 'deleted' | 'tearing-down';
  readonly teardowns: readonly string[];
  /** With keepDeployed: the environments whose deployed version was left running. */
  readonly leftDeployed?: readonly string[];
}

/** Deploy: both optional, at most one of them; without either, the newest commit of the environment's branch. */
export interface DeployBody {
  /** Deploy the newest commit of this branch instead of the environment's. */
  readonly branch?: string;
  /** Deploy this commit (40 hexadecimal characters) of the application's repository. */
  readonly commit?: string;
}

export interface RollbackBody {
  /** An earlier succeeded deployment of the same environment. */
  readonly deploymentId: string;
}

export interface TeardownBody {
  /** The environment's name, typed again: a teardown removes everything deployed there. */
  readonly confirm: string;
}

/** Only the fields given change; `null` clears a dashboard override (back to the code's value) or deletes a variable. */
export interface SettingsBody {
  readonly branch?: string | null;
  readonly runTests?: boolean | null;
  readonly testCommand?: readonly string[] | null;
  readonly variables?: Readonly<Record<string, string | null>>;
  /** Values are written to Secrets Manager and never returned. */
  readonly secrets?: Readonly<Record<string, string | null>>;
}

export interface LogPageView {
  readonly records: readonly LogRecord[];
  readonly next: number;
  readonly end: boolean;
}

/** Whether a GitHub App connects this installation; its installed repositories for admins. */
export interface GitHubSetupView {
  readonly configured: boolean;
  /** The installation can make its App from the setup page (it has a GitHub connection and knows its own URLs). */
  readonly canCreate: boolean;
  /** The organization the App is made in unless the admin names another (TrellisPipeline's `GitHubApp.fromSetupPage({ organization })`). */
  readonly organization?: string;
  readonly app?: { readonly slug: string; readonly htmlUrl: string; readonly installUrl: string };
  readonly repositories?: readonly InstalledRepository[];
}

export interface GitHubManifestBody {
  /** The App's name on GitHub (at most 34 characters). @default `Trellis (<installation>)` */
  readonly name?: string;
  /** Make the App in this organization (an owner of it must post the form). @default the configured organization, else the admin's own account */
  readonly organization?: string;
  /** Make a new App although one is connected: its credentials replace the old ones. @default false */
  readonly replace?: boolean;
}

/** What the setup page posts to GitHub: a form to `action` with one field, `manifest` (this object as JSON). */
export interface GitHubManifestForm {
  readonly action: string;
  readonly manifest: Readonly<Record<string, unknown>>;
}

/** A webhook delivery GitHub could not hand over (no attempt of its GUID answered 2xx): its newest attempt. */
export interface FailedDeliveryView {
  /** The newest attempt's id: what a redelivery names. */
  readonly id: number;
  readonly guid: string;
  readonly event: string;
  readonly action?: string;
  readonly repository?: string;
  readonly deliveredAt: string;
  /** What Trellis answered the newest attempt (0: no answer). */
  readonly statusCode: number;
  readonly attempts: number;
}

/** `config.json` next to the dashboard: written at deploy time (or served by the local server). */
export interface DashboardConfig {
  readonly apiUrl: string;
  readonly webSocketUrl: string;
  readonly auth: DashboardAuth;
}

export type DashboardAuth =
  /** OIDC authorization code flow with PKCE (Cognito's hosted UI or any OIDC issuer). */
  | { readonly kind: 'oidc'; readonly authorizeUrl: string; readonly tokenUrl: string; readonly clientId: string; readonly scopes: readonly string[]; readonly logoutUrl?: string }
  /** Local mode: POST /auth/local/sign-in { user, password } → { token }; also with GitHub (as `github`) when `githubSignInUrl` is given. */
  | { readonly kind: 'local'; readonly githubSignInUrl?: string }
  /**
   * Sign in with GitHub: the browser goes to `signInUrl?return=<dashboard URL>` (the control API's
   * `/auth/github/sign-in`) and comes back with Trellis' own token in the URL's fragment.
   */
  | { readonly kind: 'github'; readonly signInUrl: string };

/**
 * An API token for CI and scripts: `Authorization: Bearer trellis_<id>_<secret>`, next to JWTs,
 * with one role on one application (or `*`). Only its SHA-256 is stored; the token is shown once.
 */
export interface ApiTokenView {
  /** The public part (`trellis_<id>_...`): names the token in lists, logs and `DELETE /api/tokens/{token}`. */
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  /** An application's name, or `*` for every application. */
  readonly application: string;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  /** Recorded at most once a minute. */
  readonly lastUsedAt?: string;
}

export interface CreateApiTokenBody {
  /** What it is for (`github-actions`): letters, digits, `.`, `_`, `-`, 1–64 characters. */
  readonly name: string;
  readonly role: Role;
  /** @default '*' (every application: needs the admin role on all of them) */
  readonly application?: string;
  /** 1–365. @default 90 */
  readonly expiresInDays?: number;
}

/** The answer to creating a token: the only time `token` is shown. */
export interface CreatedApiToken extends ApiTokenView {
  readonly token: string;
}

/** What an audited action was: the control API's changes, named for people. */
export type AuditAction =
  | 'deploy' | 'promote' | 'rollback' | 'teardown' | 'cancel' | 'settings'
  | 'create-application' | 'delete-application' | 'add-environment' | 'delete-environment'
  | 'create-token' | 'revoke-token' | 'github-app' | 'redeliver'
  | 'approve-preview' | 'previews-switch' | 'preview';

/** Every AuditAction, in the order a filter lists them. */
export const AUDIT_ACTIONS: readonly AuditAction[] = [
  'deploy', 'promote', 'rollback', 'teardown', 'cancel', 'settings',
  'create-application', 'delete-application', 'add-environment', 'delete-environment',
  'create-token', 'revoke-token', 'github-app', 'redeliver',
  'approve-preview', 'previews-switch', 'preview',
];

/**
 * One entry of the audit trail: who did what, when, and how it ended. Values of variables and
 * secrets are never in it: their names are.
 */
export interface AuditEntryView {
  readonly id: string;
  readonly at: string;
  /** The principal's display name (`token ci` for an API token). */
  readonly actor: string;
  readonly subject: string;
  /** The API token's id when the caller was one. */
  readonly apiToken?: string;
  readonly action: AuditAction;
  readonly application: string;
  readonly environment?: string;
  /** What it acted on beyond the environment: a deployment id, a token id. */
  readonly target?: string;
  /** Names only: the settings changed (`variables.LOG_LEVEL`, `secrets.STRIPE_KEY`), the options given. */
  readonly details?: readonly string[];
  readonly result: {
    /** The API's status code. */
    readonly status: number;
    /** The deployment the action queued, when it queued one. */
    readonly deploymentId?: string;
    /** Why it was refused or failed (the API's reason). */
    readonly reason?: string;
  };
}

/**
 * A notification that was not delivered after every attempt (kept some days). The destination is
 * named without anything secret: a webhook by its URL's origin, Slack as `slack`, SNS by its topic.
 */
export interface NotificationFailureView {
  /** The delivery's id (`id` in the payload). */
  readonly id: string;
  /** When the last attempt failed (ISO). */
  readonly at: string;
  readonly application: string;
  readonly environment: string;
  readonly event: NotificationEvent;
  readonly sequence: number;
  readonly kind: NotificationKind;
  /** `webhook 2 (https://hooks.example.com)`: the kind, its place and where it goes, never a secret. */
  readonly destination: string;
  /** The destination's place (1, 2, …) in the application's notifications. */
  readonly position: number;
  readonly attempts: number;
  /** Why the last attempt failed (`HTTP 500`, `timed out after 5 s`, `redirect (302) not followed`). */
  readonly error: string;
  readonly deploymentId?: string;
}
