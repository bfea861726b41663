import { NotificationDestinationConfig } from './notification-config';

/**
 * Domain types shared by every layer: constructs, handlers, local mode, dashboard.
 * Plain data only; no AWS imports anywhere under core/.
 */

export type EnvironmentKind = 'development' | 'staging' | 'production' | 'custom';

/** One environment of an application, as configured in code (or the local config file). */
export interface EnvironmentConfig {
  readonly name: string;
  readonly kind: EnvironmentKind;
  /** Branch this environment tracks; absent = only promotions and manual deploys. */
  readonly branch?: string;
  readonly autoDeploy: boolean;
  readonly runTests: boolean;
  /** Argument vector of the test command; never a shell string. */
  readonly testCommand: readonly string[];
  readonly region?: string;
  readonly account?: string;
  readonly deployRoleArn?: string;
  /**
   * The role this environment's builds run with (in AWS: made by the construct, passed to
   * RunTask by the launcher); absent locally, where builds run as the user.
   */
  readonly buildRoleArn?: string;
  /** Non-secret variables; secrets live in Secrets Manager and never here. */
  readonly variables: Readonly<Record<string, string>>;
  /** Protected environments need the admin role for every action. */
  readonly protected: boolean;
  /** How the app is deployed; absent = detected from the repository. */
  readonly framework?: FrameworkConfig;
  /** Restore and save `node_modules` keyed by the lockfile; absent = on. */
  readonly dependencyCache?: boolean;
  /** The Node the app's commands run with (`18`, `20.11.1`, `lts/iron`, `>=18 <21`); absent = what the repository asks for. */
  readonly nodeVersion?: string;
  /**
   * CDK: the stacks this environment deploys and tears down, as patterns (`*` any characters,
   * `{stage}` the stage); absent = the assembly's one stack, or the stacks named or tagged for the stage.
   */
  readonly stacks?: readonly string[];
  /**
   * The app's folder in the repository (`packages/api`): detection, tests, build and deploy run
   * there, the install at the workspace root above it. Wins over the application's; absent = the application's.
   */
  readonly rootDirectory?: string;
  /** Called after every deploy; absent = no gate. */
  readonly healthCheck?: HealthCheckConfig;
}

/**
 * The health-check gate: after a deploy the builder GETs the URL (given, or the value of a
 * stack output); a status outside [minStatus, maxStatus] on every attempt, or no answer,
 * fails the deployment and the environment is rolled back to its previous version.
 * Exactly one of `url` and `stackOutput`.
 */
export interface HealthCheckConfig {
  readonly url?: string;
  /** Name of a stack output (from the deploy's outputs) whose value is the URL. */
  readonly stackOutput?: string;
  /** Lowest passing status (default 200). */
  readonly minStatus: number;
  /** Highest passing status (default 399). */
  readonly maxStatus: number;
  /** Per attempt (default 10). */
  readonly timeoutSeconds: number;
  /** Attempts after the first (default 3). */
  readonly retries: number;
  /** Wait between attempts (default 5). */
  readonly intervalSeconds: number;
}

export type FrameworkKind = 'sst' | 'cdk' | 'serverless' | 'sam' | 'custom';

/** A deploy framework chosen in code instead of detected; `custom` runs the given commands. */
export interface FrameworkConfig {
  readonly kind: FrameworkKind;
  /** Argument vectors for `custom` (install defaults to the package manager's). */
  readonly install?: readonly string[];
  readonly build?: readonly string[];
  readonly deploy?: readonly string[];
  readonly remove?: readonly string[];
  /**
   * With a configured deploy command: the paths (relative to the repository) that command needs.
   * They are stored after a healthy deploy, and a rollback runs the deploy on them alone (no
   * clone, install, test or build). Without it, a rollback of configured commands rebuilds.
   */
  readonly artifact?: readonly string[];
}

/** An application: one GitHub repository, environments in promotion order. */
export interface ApplicationConfig {
  readonly name: string;
  /** `owner/repo` */
  readonly repository: string;
  /** The app's folder in the repository (`packages/api`) for every environment that names none; absent = the root. */
  readonly rootDirectory?: string;
  readonly environments: readonly EnvironmentConfig[];
  /** Where the application's events are sent (notification-config.ts); absent = nowhere. */
  readonly notifications?: readonly NotificationDestinationConfig[];
  /** Pull-request previews (previews.ts); absent = off. */
  readonly previews?: PreviewsConfig;
}

/**
 * Pull-request previews: a pull request into a branch one of the application's environments
 * tracks gets an environment of its own, `pr-<number>`, with the settings of `from`.
 */
export interface PreviewsConfig {
  /** The environment whose settings (and, for pull requests from the repository itself, secrets) previews copy. */
  readonly from: string;
  /** Pull requests from forks: `approve` (nothing builds until a deployer approves each new commit) or `ignore` (no preview). */
  readonly forks: PreviewForks;
  /** Open previews at most; the next pull request gets none until one closes. */
  readonly maxConcurrent: number;
  /** The role previews of the repository's own branches build with (made by the construct; absent locally). */
  readonly buildRoleArn?: string;
  /** The role fork previews build with: it reads no secret (made by the construct; absent locally). */
  readonly forkBuildRoleArn?: string;
}

export type PreviewForks = 'approve' | 'ignore';

/** What a preview environment records about its pull request (kept on the environment's item). */
export interface PreviewRecord {
  readonly pullRequest: number;
  readonly title?: string;
  readonly author?: string;
  /** The head is in another repository (a fork): no secret reaches its builds. */
  readonly fork: boolean;
  /** `owner/repo` of the head. */
  readonly headRepository: string;
  readonly headRef: string;
  /** The newest head commit GitHub reported. */
  readonly headSha: string;
  /** The environment whose settings were copied. */
  readonly from: string;
  /** The environment whose secrets the builds read; absent: none (fork previews). */
  readonly secretsFrom?: string;
  /** A fork's head commit that waits for a deployer's approval before it builds. */
  readonly awaitingApproval?: string;
  /** The pull request's one comment (edited in place), once made. */
  readonly commentId?: number;
  /** When the pull request was closed: the preview is torn down and removed. */
  readonly closedAt?: string;
  /** Teardowns asked for since it closed (retries are bounded). */
  readonly teardownAttempts?: number;
}

/** Where an application is defined: in code (TrellisPipeline applications, the local config file) or on the dashboard. */
export type ApplicationOrigin = 'code' | 'dashboard';

/** An application as stored: its configuration, where it comes from, and whether it is being deleted. */
export interface ApplicationRecord extends ApplicationConfig {
  /** Absent: code (config sync writes none). */
  readonly origin?: ApplicationOrigin;
  readonly deleting?: DeletionMark;
}

/**
 * A dashboard-made application or environment being deleted: what it deployed is torn down
 * first; its configuration goes once that teardown succeeded. No other deployment starts meanwhile.
 */
export interface DeletionMark {
  /** When deletion was asked for (ISO). */
  readonly requestedAt: string;
  readonly requestedBy?: string;
  /** The teardown deployment whose success deletes the configuration (none: nothing was deployed). */
  readonly teardownId?: string;
}

/** Runtime state the store keeps next to an environment's configuration. */
export interface EnvironmentState {
  /** Deployment that holds the environment lock (queued for launch or running). */
  readonly lockHolder?: string;
  /** The one queued deployment waiting for the lock; newer requests replace it. */
  readonly pending?: string;
  /** Last deployment that succeeded here, and its commit. */
  readonly currentDeploymentId?: string;
  readonly currentCommit?: string;
  /**
   * Settings changed on the dashboard. Precedence: a dashboard override wins over the
   * code's value until it is cleared (then the code's value applies again); configuration
   * sync from code never touches overrides. Stores apply them in one place
   * (`effectiveEnvironment`), so the builder, push routing and the API see the same values.
   */
  readonly overrides?: EnvironmentOverrides;
  /** Set while the environment (or its application) is being deleted from the dashboard. */
  readonly deleting?: DeletionMark;
  /** A pull request's preview environment (never in promotion order; config sync leaves it alone). */
  readonly preview?: PreviewRecord;
}

/** Dashboard values of the settings that can change at runtime; an absent field means "the code's value". */
export interface EnvironmentOverrides {
  readonly branch?: string;
  readonly runTests?: boolean;
  readonly testCommand?: readonly string[];
  /** Merged over the code's variables, name by name. */
  readonly variables?: Readonly<Record<string, string>>;
}

export interface EnvironmentRecord extends EnvironmentConfig, EnvironmentState {
  readonly application: string;
  /** Index in the application's promotion order. */
  readonly position: number;
}

export type DeploymentAction = 'deploy' | 'promote' | 'rollback' | 'teardown';

export type DeploymentStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'superseded';

/** `auto-rollback`: made by the finalizer after a deployment failed its health check. */
export type TriggerKind = 'push' | 'manual' | 'promotion' | 'rollback' | 'auto-rollback' | 'pull_request';

/** Why a deployment exists and who or what asked for it. */
export interface Trigger {
  readonly kind: TriggerKind;
  /** GitHub login or dashboard user. */
  readonly actor?: string;
  /** Webhook delivery id, for push and pull request triggers. */
  readonly deliveryId?: string;
  /** Deployment whose version is promoted or rolled back to. */
  readonly sourceDeploymentId?: string;
}

export interface Deployment {
  readonly id: string;
  readonly application: string;
  readonly environment: string;
  readonly action: DeploymentAction;
  readonly commit: string;
  readonly branch?: string;
  /** `owner/repo` the commit comes from. */
  readonly repository?: string;
  /** First line of the commit message, as GitHub reported it. */
  readonly commitMessage?: string;
  /** Commit author (GitHub login or name). */
  readonly author?: string;
  readonly trigger: Trigger;
  /** Push-triggered deployments: where the push stands in its branch's history (the lock rule orders by it). */
  readonly push?: PushPosition;
  readonly status: DeploymentStatus;
  /** Why the deployment ended as it did (failure cause, superseding deployment, ...). */
  readonly reason?: string;
  /** Executor handle (ECS task ARN, local process id). */
  readonly taskId?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  /** Phases in the order they started, as far as the log has been stored. */
  readonly phases?: readonly PhaseRecord[];
  /** The GitHub Deployment that reports this deployment on GitHub, once made (kept once: `keepGitHubDeployment`). */
  readonly githubDeploymentId?: number;
}

/**
 * What GitHub's signed push event says about when the push was made, kept with the deployment
 * it started: `push-order.ts` orders two pushes of one branch by it, not by when their webhooks arrived.
 */
export interface PushPosition {
  /** The branch's head before the push (`before`); all zeros when the push created the branch. */
  readonly before: string;
  /** When GitHub received the push (`repository.pushed_at`, whole seconds), ISO. */
  readonly pushedAt?: string;
  /** The head commit's timestamp (`head_commit.timestamp`), ISO. */
  readonly committedAt?: string;
  /** GitHub's `forced`: the push rewrote the branch, and may have moved it back to an older commit. */
  readonly forced?: boolean;
}

/** Fields a status transition may set alongside the status. */
export interface TransitionDetails {
  readonly reason?: string;
  readonly taskId?: string;
}

/** `system` lines are the builder's own (phase markers); only it can write them. */
export type LogStream = 'stdout' | 'stderr' | 'system';

export interface LogLine {
  /** ISO timestamp the builder saw the line. */
  readonly at: string;
  readonly stream: LogStream;
  readonly text: string;
}

/**
 * One line of a build's log with its place in it: `seq` counts from 0 per deployment
 * without gaps, so the live path and the archive path give one ordered copy.
 */
export interface LogRecord extends LogLine {
  readonly seq: number;
}

/** What a phase of a build did, kept on the deployment (built from the phase markers). */
export interface PhaseRecord {
  readonly phase: string;
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly durationMs?: number;
  /** `running` until the end marker is stored. */
  readonly outcome: 'running' | 'succeeded' | 'failed' | 'skipped';
  readonly detail?: string;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Opaque; pass back to get the next page. Absent on the last page. */
  readonly cursor?: string;
}
