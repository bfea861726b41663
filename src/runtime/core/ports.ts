import { Principal } from './access';
import { ApiTokenRecord } from './api-tokens';
import { AuditAction, AuditEntryView, NotificationFailureView } from './api-types';
import { NotificationEvent } from './notification-config';
import { PreviewStore } from './preview-store';
import { Ordered } from './push-order';
import {
  ApplicationConfig, ApplicationRecord, DeletionMark, Deployment, DeploymentStatus, EnvironmentConfig, EnvironmentOverrides,
  EnvironmentRecord, LogRecord, Page, TransitionDetails,
} from './types';

/**
 * The outside world as core sees it. DynamoDB, ECS, Secrets Manager and API Gateway
 * implement these in AWS; src/local implements them on one machine. Tests use the
 * real DynamoDB implementation against DynamoDB Local.
 */

export interface ConfigStore {
  listApplications(): Promise<ApplicationRecord[]>;
  getApplication(name: string): Promise<ApplicationRecord | undefined>;
  /** Environments in promotion order, with their runtime state. */
  listEnvironments(application: string): Promise<EnvironmentRecord[]>;
  getEnvironment(application: string, environment: string): Promise<EnvironmentRecord | undefined>;
  /**
   * Make the stored code-defined configuration equal `apps`: upsert each, delete code-defined
   * applications and environments no longer present. Runtime state (lock, current version) and
   * history survive. Dashboard-made applications are left alone; one with the name of an
   * application in `apps` is a ConflictError, before anything is written (nothing made on the
   * dashboard is replaced or lost by a deploy).
   */
  syncApplications(apps: readonly ApplicationConfig[]): Promise<void>;
  /** A dashboard-made application with its environments, in one write. Throws ConflictError when the name exists, whatever its origin. */
  createApplication(app: ApplicationConfig): Promise<ApplicationRecord>;
  /**
   * Append an environment to a dashboard-made application's promotion order. Throws ConflictError
   * when the name exists or the application is not (or no longer) dashboard-made, NotFoundError when it does not exist.
   */
  addEnvironment(application: string, env: EnvironmentConfig): Promise<EnvironmentRecord>;
  /** Mark a dashboard-made application (no `environment`) or one of its environments as being deleted. Throws ConflictError otherwise. */
  markDeleting(application: string, environment: string | undefined, mark: DeletionMark): Promise<void>;
  /**
   * Delete an environment of a dashboard-made application that runs nothing (no lock holder, no
   * current version). Deployment history stays. Throws ConflictError otherwise.
   */
  deleteEnvironment(application: string, environment: string, options?: DeleteOptions): Promise<void>;
  /** Delete a dashboard-made application and its environments, none of which may run anything; history stays. Throws ConflictError otherwise. */
  deleteApplication(application: string, options?: DeleteOptions): Promise<void>;
  /**
   * Replace the environment's dashboard overrides (empty = none) in one conditional write
   * that touches nothing else; returns the environment with them applied. Throws
   * NotFoundError when the environment does not exist.
   */
  setOverrides(application: string, environment: string, overrides: EnvironmentOverrides): Promise<EnvironmentRecord>;
}

/** How a dashboard-made application or environment is deleted. */
export interface DeleteOptions {
  /**
   * Delete even with a deployed version (what it deployed stays running): for a teardown that
   * cannot succeed. A deployment under way still refuses it. @default false
   */
  readonly keepDeployed?: boolean;
}

/** The version an environment runs: set when a deployment succeeds, cleared (null) by a teardown. */
export interface CurrentVersion {
  readonly deploymentId: string;
  readonly commit: string;
}

/** Result of asking for an environment's lock on behalf of a new queued deployment. */
export type Claim =
  /** The deployment holds the lock and may be launched. */
  | { readonly outcome: 'acquired' }
  /** The environment is busy; the deployment waits, replacing `displaced` if there was one. */
  | { readonly outcome: 'waiting'; readonly displaced?: string; readonly why?: string }
  /**
   * A newer deployment already waits or holds the lock (or, for a push, a newer push of its
   * branch is deployed); this one is superseded by it. `why`: the push rule that decided.
   */
  | { readonly outcome: 'outdated'; readonly newer: string; readonly why?: string }
  /**
   * Only the request order would say whether this push or `other` (a push of the same branch,
   * waiting or holding the lock) is newer: nothing was written; ask again once the pushes in
   * between may have arrived. Answered only when the claim allows it (`mayWait`).
   */
  | { readonly outcome: 'undecided'; readonly other: string };

/** How a claim may answer. */
export interface ClaimOptions {
  /**
   * Answer `undecided` rather than order two pushes by arrival (the caller asks again later).
   * @default false
   */
  readonly mayWait?: boolean;
}

export interface DeploymentStore {
  /** Insert a new deployment; fails if the id exists. */
  create(deployment: Deployment): Promise<void>;
  get(id: string): Promise<Deployment | undefined>;
  /** Newest first. */
  listByEnvironment(application: string, environment: string, options?: { limit?: number; cursor?: string }): Promise<Page<Deployment>>;
  /**
   * Move `id` to `to` if the state machine allows it from the stored status (a condition
   * in the write, not a read-then-write). Throws IllegalTransitionError otherwise.
   */
  transition(id: string, to: DeploymentStatus, details?: TransitionDetails): Promise<Deployment>;
  /**
   * Record the executor's handle on a running deployment, with the SHA-256 of the ingest token
   * its task was started with: once, or the same handle and hash again (a repeated launch).
   */
  attachTask(id: string, taskId: string, ingestTokenHash: string): Promise<void>;
  /** What binds log records to the deployment (never part of the Deployment itself); undefined for an unknown id. */
  logBinding(id: string): Promise<LogBinding | undefined>;
  /**
   * The deployment's ingest token: `candidate`, kept if the deployment has none yet (a
   * conditional write), else the one kept before. Every launch of one deployment gives its task
   * the same token, so a repeated RunTask has the same parameters (ECS answers a repeat with
   * other parameters with a conflict). Kept apart from the deployment's item, under a key no
   * build role may read.
   */
  ingestToken(id: string, candidate: string): Promise<string>;
  /**
   * Record the GitHub Deployment made for `id` if it has none yet (a conditional write); returns
   * the one kept, the earlier one if there was. Throws NotFoundError for an unknown deployment.
   */
  keepGitHubDeployment(id: string, githubDeploymentId: number): Promise<number>;
  /**
   * Take the environment lock for `deployment`, or queue it as the one pending request, by the
   * lock rule (`compareRequests` in push-order.ts, over the branch's recorded pushes; an id
   * alone is ordered by id). Idempotent: claiming again answers where the first claim left it.
   */
  claimEnvironment(application: string, environment: string, deployment: string | Ordered, options?: ClaimOptions): Promise<Claim>;
  /**
   * Release the lock held by `holder`. If a request is pending it takes the lock in the
   * same write and is returned, to be launched. `version` (when given) becomes the
   * environment's current version in that write too; `null` clears it. Idempotent: a holder that no longer holds
   * the lock releases nothing.
   */
  releaseEnvironment(application: string, environment: string, holder: string, version?: CurrentVersion | null): Promise<{ next?: string }>;
}

/** What the log-ingest function checks a deployment's records against. */
export interface LogBinding {
  readonly status: DeploymentStatus;
  /** The executor's handle, once attached. */
  readonly taskId?: string;
  /** SHA-256 (hex) of the task's ingest token, attached with the task. */
  readonly ingestTokenHash?: string;
}

/** What one ingest call achieved. */
export interface LogIngestResult {
  /** Records stored by this call, contiguous and in order: exactly what to fan out. */
  readonly stored: readonly LogRecord[];
  /** The next seq the log is waiting for (everything before it is stored). */
  readonly next: number;
  /** This call's records held back because an earlier seq is still missing; stored once the gap fills. */
  readonly held: number;
}

export interface LogPage {
  readonly records: readonly LogRecord[];
  /** The seq to read from next. */
  readonly next: number;
  /** True when nothing after `next` is stored yet. */
  readonly end: boolean;
}

/**
 * A build's log: records stored once each, in seq order, whichever path delivered them and
 * in whatever order. Storage is immutable chunks; nothing that grows is rewritten.
 */
export interface LogStore {
  /**
   * Store what is new in `records` (any order, duplicates allowed). Records after a gap are
   * held until the gap is filled by a later call. Phase markers among the stored records
   * update the deployment's phases in the same write. Throws NotFoundError for an unknown deployment.
   */
  ingest(deploymentId: string, records: readonly LogRecord[], options?: { expiresAt?: number }): Promise<LogIngestResult>;
  /** Stored records from seq `from` (default 0), at most `limit` lines (default and cap: a few thousand). */
  read(deploymentId: string, options?: { from?: number; limit?: number }): Promise<LogPage>;
}

/** What a webhook delivery was, kept with its id (pull requests are recorded this way). */
export interface DeliverySummary {
  readonly event: string;
  readonly action?: string;
  readonly repository?: string;
  readonly ref?: string;
  readonly commit?: string;
  readonly pullRequest?: number;
}

export interface DeliveryStore {
  /** True the first time a webhook delivery id is seen (kept until `expiresAt`, epoch seconds). */
  recordFirst(deliveryId: string, expiresAt: number, summary?: DeliverySummary): Promise<boolean>;
  /** Forget a delivery whose processing failed, so GitHub's redelivery is processed. */
  forget(deliveryId: string): Promise<void>;
}

/**
 * Values handed out once and taken back once, before they expire: the `state` of GitHub's
 * app-manifest and OAuth flows. Each kind of value has its own `purpose`, so one never passes for another.
 */
export interface OneUseStore {
  /** Keep `value` until `expiresAt` (epoch seconds); false when the id is taken already. */
  put(purpose: string, id: string, value: Readonly<Record<string, string>>, expiresAt: number): Promise<boolean>;
  /** The value, removed in the same step: undefined when unknown, taken already or expired. */
  take(purpose: string, id: string): Promise<Record<string, string> | undefined>;
}

/**
 * API tokens by id. Only the digest of a token's secret is kept; a revoked token is deleted, so
 * it is as unknown as one that never existed. Expired tokens stay listed until the table's TTL
 * removes them, some days after their expiry.
 */
export interface ApiTokenStore {
  /** Keep a new token; false when its id is taken (the caller draws another). */
  create(token: ApiTokenRecord): Promise<boolean>;
  get(id: string): Promise<ApiTokenRecord | undefined>;
  /** Every token, expired ones too, oldest first. */
  list(): Promise<ApiTokenRecord[]>;
  /** Delete the token; what it was, or undefined when it was unknown (or revoked already). */
  revoke(id: string): Promise<ApiTokenRecord | undefined>;
  /** Record a use at `at`, unless one was recorded less than a minute before (a conditional write); unknown ids are ignored. */
  touch(id: string, at: Date): Promise<void>;
}

/** Which entries of an application's audit trail to list, a page at a time. */
export interface AuditListOptions {
  readonly limit?: number;
  readonly cursor?: string;
  readonly action?: AuditAction;
  /** The actor's display name, exactly (`ada`, `token ci`). */
  readonly actor?: string;
  readonly environment?: string;
}

/**
 * The audit trail: entries per application (`*` for the installation's own), kept until
 * `expiresAt` (epoch seconds, the table's TTL), never changed once written.
 */
export interface AuditStore {
  /** Keep a new entry; its id is unique (a conditional write: an entry is never overwritten). */
  record(entry: AuditEntryView, expiresAt: number): Promise<void>;
  /** Newest first; filters keep pages full (the store reads on until the page is or the trail ends). */
  list(application: string, options?: AuditListOptions): Promise<Page<AuditEntryView>>;
}

/** Notification bookkeeping: each environment's event counter, and deliveries that failed. */
export interface NotificationStore {
  /** The environment's next event number (1, 2, ...): one atomic counter, so no two events share one. */
  nextSequence(application: string, environment: string): Promise<number>;
  /** Keep a failed delivery until `expiresAt` (epoch seconds, the table's TTL). */
  recordFailure(failure: NotificationFailureView, expiresAt: number): Promise<void>;
  /** The application's failed deliveries, newest first. */
  listFailures(application: string, options?: { limit?: number }): Promise<NotificationFailureView[]>;
}

export interface Connection {
  readonly connectionId: string;
  /** Who opened it, as authenticated at connect. */
  readonly principal: Principal;
}

export interface ConnectionStore {
  put(connection: Connection, expiresAt: number): Promise<void>;
  get(connectionId: string): Promise<Connection | undefined>;
  /** Removes the connection and every subscription it holds. */
  remove(connectionId: string): Promise<void>;
  subscribe(connectionId: string, deploymentId: string, expiresAt: number): Promise<void>;
  unsubscribe(connectionId: string, deploymentId: string): Promise<void>;
  subscribers(deploymentId: string): Promise<string[]>;
}

export interface Store {
  readonly config: ConfigStore;
  readonly deployments: DeploymentStore;
  readonly logs: LogStore;
  readonly deliveries: DeliveryStore;
  readonly connections: ConnectionStore;
  readonly oneUse: OneUseStore;
  readonly apiTokens: ApiTokenStore;
  readonly audit: AuditStore;
  readonly notifications: NotificationStore;
  readonly previews: PreviewStore;
}

/** Hands queued deployments to the launcher (SQS in AWS, in-process locally). */
export interface LaunchQueue {
  send(message: LaunchMessage): Promise<void>;
}

export interface LaunchMessage {
  readonly deploymentId: string;
  /** How many times this push's claim was put off because its order was not known yet. */
  readonly deferrals?: number;
  /** Deliver no sooner than this (a claim put off). @default 0 */
  readonly delaySeconds?: number;
}

/**
 * The deployment a task is started for, as its record says, and the ingest token. The builder
 * is given only the id (and the token) and reads the rest from the record; the names are the
 * executor's (which build role, which secrets in local mode). The app's secrets are fetched by
 * the task itself at run time.
 */
export interface TaskRequest {
  readonly deploymentId: string;
  readonly action: string;
  readonly application: string;
  readonly environment: string;
  readonly commit: string;
  /** Secret: the deployment's ingest token (core/ingest-token.ts), for its task only. */
  readonly ingestToken: string;
  /**
   * The role the build runs with: its environment's (EnvironmentConfig.buildRoleArn). An
   * executor that gives builds AWS credentials refuses a request without one.
   */
  readonly taskRoleArn?: string;
  /**
   * The environment whose secrets the build may read, where it is not its own: a preview's,
   * the environment it copies; `null`, none (a fork's preview). In AWS the build role decides
   * this; an executor that hands builds their secrets (local mode) follows it. @default its own
   */
  readonly secretsFrom?: string | null;
}

/** A started task, with the ingest token it really has (a repeated request gets the first one's). */
export interface StartedTask {
  readonly taskId: string;
  readonly ingestToken: string;
}

export interface TaskState {
  readonly taskId: string;
  readonly running: boolean;
  readonly exitCode?: number;
  readonly stopReason?: string;
}

/** An executor: Fargate in AWS, a child process locally. */
export interface TaskRunner {
  /**
   * Start the deployment's build. Idempotent per deployment: a repeated request (a launch
   * retried after its launcher died) returns the task the first one started, and that
   * request's ingest token.
   */
  run(request: TaskRequest): Promise<StartedTask>;
  stop(taskId: string, reason: string): Promise<void>;
  describe(taskId: string): Promise<TaskState | undefined>;
}

/** Pushes messages to a live client (API Gateway WebSocket connection, local socket). */
export interface LogSink {
  /** 'gone' when the client disconnected; the caller removes the connection. */
  send(connectionId: string, message: unknown): Promise<'sent' | 'gone'>;
}

/** The newest commit of a branch, or a commit by its SHA (GitHub's REST API in AWS). */
export interface CommitSource {
  /**
   * `ref`: a branch name, or a commit's full SHA (isCommitSha), which answers that commit, on
   * any branch. `message` is the first line of the commit message; `author` a GitHub login or
   * name. Throws NotFoundError when the repository, branch or commit does not exist (or cannot be seen).
   */
  latestCommit(repository: string, ref: string): Promise<{ sha: string; message?: string; author?: string }>;
}

/**
 * An environment's secret variables: one secret holding a JSON object of NAME → value.
 * Values go in and never come back out.
 */
export interface SecretStore {
  /** The names in the secret; none when it does not exist. */
  names(secretName: string): Promise<string[]>;
  /** Set (string) or delete (null) names, creating the secret when missing; returns the names afterwards. */
  update(secretName: string, changes: Readonly<Record<string, string | null>>): Promise<string[]>;
}

export interface SecretSource {
  /** The secret's value; throws NotFoundError if it does not exist. */
  get(name: string): Promise<string>;
}

/** Makes a whole secret only when none has its name: of two creators at the same moment, one wins. */
export interface SecretCreator {
  /** True when this call created it; false when it existed already (read it then). */
  create(name: string, value: string): Promise<boolean>;
}

/** What an event is about, beside its application and environment. */
export interface NotificationDetails {
  /** The deployment (deployment.* and environment.torn_down events). */
  readonly deployment?: Deployment;
  /** preview.* events: the pull request the preview environment is for. */
  readonly pullRequest?: { readonly number: number; readonly title?: string; readonly author?: string };
}

/**
 * Tells an application's notification destinations what happened to one of its environments.
 * Resolves once the event has its sequence number (it is produced); delivery goes on in the
 * background. Never throws, and never makes what happened wait for a receiver.
 */
export interface Notifier {
  notifyEnvironment(event: NotificationEvent, application: string, environment: string, details?: NotificationDetails): Promise<void>;
}

/** Publishes a message to a topic (SNS in AWS). */
export interface TopicPublisher {
  /** Throws when the topic did not take the message. */
  publish(topicArn: string, message: string, attributes: Readonly<Record<string, string>>): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
