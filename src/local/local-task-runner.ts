import { spawn } from 'child_process';
import { randomBytes } from 'crypto';
import { existsSync, mkdirSync } from 'fs';
import { mkdtemp, rm } from 'fs/promises';
import { tmpdir } from 'os';
import { join } from 'path';
import { LOCAL_BUILD_SETTINGS, LocalBuildInput, LocalDynamoDb } from './local-build-settings';
import { localPath } from './local-commit-source';
import { LocalTask, LocalTaskOptions, LocalTaskState } from './local-task';
import { processStartTime } from './process-records';
import { buildEnvironment, BUILD_PARAMETERS, BUILD_SETTINGS } from '../contract/build-environment';
import { secretNames } from '../contract/secret-names';
import { maskCredentials } from '../runtime/core/credential-patterns';
import { NotFoundError, errorMessage } from '../runtime/core/errors';
import { SecretSource, StartedTask, TaskRequest, TaskRunner } from '../runtime/core/ports';

/** How the builder program is started: `command args...` (the deployment's workspace is its cwd). */
export interface BuilderCommand {
  /** @default process.execPath */
  readonly command?: string;
  readonly args: readonly string[];
}

/** The runner's settings; what each build needs (where its records and exit go, its limits) is in LocalTaskOptions. */
export interface LocalTaskRunnerProps extends LocalTaskOptions {
  /** The table the builder reads configuration from, in DynamoDB Local. */
  readonly tableName: string;
  /** Where the table is; handed to the builder on its stdin, never in its environment. */
  readonly dynamodb: LocalDynamoDb;
  /**
   * Where secrets are kept (FileSecretSource): the runner reads a build's own (its
   * environment's, the GitHub token) and hands only those to the builder on its stdin.
   */
  readonly secrets: SecretSource;
  /** The dependency cache's folder. @default - no cache: every build installs */
  readonly cacheDir?: string;
  /** The deploy artifacts' folder. @default - none: every rollback and promotion rebuilds */
  readonly artifactDir?: string;
  /** @default 'local' */
  readonly installation?: string;
  /**
   * Application → its git repository (a path or a file:// URL) the builder clones from.
   * An application not listed is cloned from GitHub, like in AWS.
   */
  readonly gitUrls?: Readonly<Record<string, string>>;
  /**
   * Local mode's GitHub App: a build whose application's repository the App is installed on gets
   * an installation token for it (on stdin, with its secrets) and clones from the stand-in over
   * HTTP with it. Undefined from it (no App yet, not installed there): as without an App.
   * @default - no App: the path in gitUrls, the GitHub token secret
   */
  readonly repositoryAccess?: (request: TaskRequest) => Promise<RepositoryAccess | undefined>;
  /** Where the builder's output that is not a log record is kept, one file per task. */
  readonly outputDir: string;
  /** @default node on the bundled assets/local/builder.js */
  readonly builder?: BuilderCommand;
  /**
   * Workspaces are made here (one fresh directory per build). Keep it outside the data
   * directory: a build could reach its files by relative paths from its workspace.
   * @default os.tmpdir()
   */
  readonly workRoot?: string;
  /** The environment builds inherit (PATH, HOME, the user's AWS profile, ...). `TRELLIS_*` are dropped. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A build's installation token (secret) and where it clones with it. */
export interface RepositoryAccess {
  /** An installation token for the repository; without one, `gitUrl` is a local path. */
  readonly token?: string;
  /** `<stand-in>/<owner>/<repo>.git`, or the local path of a repository the stand-in hosts. */
  readonly gitUrl: string;
}

/** Finished tasks `describe` still knows. */
const REMEMBERED = 500;

/**
 * core's TaskRunner on one machine: each build is the builder program as a child process in
 * a fresh workspace, in a process group of its own. The runner is the live path: it reads the
 * numbered records from the child's stdout and hands them on in small batches; when the child
 * exits (and its records are delivered) it reports the exit like ECS's "task stopped" event.
 * No child outlives its task or `close()`.
 */
export class LocalTaskRunner implements TaskRunner {
  private readonly tasks = new Map<string, LocalTask>();
  /** Deployment id → its task's start, so a repeated run() gets the same task. */
  private readonly byDeployment = new Map<string, Promise<StartedTask>>();
  /** run() calls between their start and the task being known: close() waits for them. */
  private readonly starting = new Set<Promise<unknown>>();
  private closed = false;

  constructor(private readonly props: LocalTaskRunnerProps) {}

  async run(request: TaskRequest): Promise<StartedTask> {
    // Idempotent per deployment, like RunTask with its client token.
    const started = this.byDeployment.get(request.deploymentId);
    if (started) return started;
    if (this.closed) throw new Error('the local runner is shutting down');
    const start = this.start(request);
    this.byDeployment.set(request.deploymentId, start);
    this.starting.add(start);
    try {
      return await start;
    } catch (error) {
      this.byDeployment.delete(request.deploymentId);
      throw error;
    } finally {
      this.starting.delete(start);
    }
  }

  private async start(request: TaskRequest): Promise<StartedTask> {
    const builder = this.props.builder ?? { args: [defaultBuilderScript()] };
    mkdirSync(this.props.outputDir, { recursive: true });
    const input = await this.input(request);
    const workspace = await mkdtemp(join(this.props.workRoot ?? tmpdir(), 'trellis-build-'));
    const child = spawn(builder.command ?? process.execPath, [...builder.args], {
      cwd: workspace,
      env: this.environment(request),
      // A process group of its own: stop() and close() signal the builder and every command it runs.
      detached: true,
      // stdin: LocalBuildInput, once; the builder gives its commands no stdin.
      stdio: ['pipe', 'pipe', 'pipe'],
      shell: false,
    });
    // A builder that exits without reading its input (a stand-in, a crash) makes the write fail: nothing to do.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(JSON.stringify(input));
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    } catch (error) {
      await rm(workspace, { recursive: true, force: true });
      throw new Error(`the builder program did not start: ${errorMessage(error)}`);
    }
    const taskId = `local-${child.pid}-${randomBytes(4).toString('hex')}`;
    const startTime = processStartTime(child.pid!);
    if (startTime !== undefined) {
      this.props.processRecords?.add(taskId, { kind: 'build', pid: child.pid!, pgid: child.pid!, startTime, deploymentId: request.deploymentId, taskId, workspace });
    }
    const task = new LocalTask(taskId, request.deploymentId, child, workspace, join(this.props.outputDir, `${taskId}.log`), this.props);
    this.tasks.set(taskId, task);
    this.forgetOldTasks();
    this.log({ message: 'build started', task: taskId, deployment: request.deploymentId, pid: child.pid, workspace });
    // A repeated run() gets this start, with this request's token. (Records need no token here:
    // this runner reads them from the child it started and hands them on for its deployment.)
    return { taskId, ingestToken: request.ingestToken };
  }

  async stop(taskId: string, reason: string): Promise<void> {
    this.tasks.get(taskId)?.stop(reason);
  }

  async describe(taskId: string): Promise<LocalTaskState | undefined> {
    return this.tasks.get(taskId)?.state();
  }

  /** Tasks whose builder is still running (or whose records and exit are still being delivered). */
  running(): LocalTaskState[] {
    return [...this.tasks.values()].filter(task => !task.finished).map(task => task.state());
  }

  /**
   * Send again the records delivered since `since` (and any whose delivery was given up): the
   * table may have lost them (DynamoDB Local killed right after acknowledging a write). The log
   * store keeps each record once, so what it has is not stored twice.
   */
  redeliverSince(since: number): void {
    for (const task of this.tasks.values()) task.redeliverSince(since);
  }

  /** Resolves once every task started so far has stopped and its exit was reported. */
  async idle(): Promise<void> {
    for (;;) {
      const pending = [...this.tasks.values()].filter(task => !task.finished);
      if (pending.length === 0) return;
      await Promise.all(pending.map(task => task.done));
    }
  }

  /**
   * Refuse new builds, stop every running one (SIGTERM, then SIGKILL after the grace period)
   * and wait until each has exited and its exit was reported.
   */
  async close(reason = 'the local server stopped'): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.starting]);
    for (const task of this.tasks.values()) task.stop(reason);
    await this.idle();
  }

  /**
   * The builder's environment: the user's (without TRELLIS_*), the build parameters, the table's
   * name and the installation. Nothing an app command must not learn from /proc/<pid>/environ:
   * no store endpoint, no secrets or where they are kept, no data directory path (input() has those).
   */
  private environment(request: TaskRequest): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.props.env ?? process.env)) {
      if (value !== undefined && !name.startsWith('TRELLIS_')) env[name] = value;
    }
    // Only the build parameters: no ingest token (this runner is the live path and reads the records itself).
    const parameters: readonly string[] = Object.values(BUILD_PARAMETERS);
    for (const { name, value } of buildEnvironment(request)) if (parameters.includes(name)) env[name] = value;
    env[BUILD_SETTINGS.tableName] = this.props.tableName;
    env[BUILD_SETTINGS.installation] = this.installation;
    // No TRELLIS_LOG_INGEST_FUNCTION: this runner is the live path.
    return env;
  }

  /** What the builder reads on its stdin: the store, the build's own secrets, and paths in the data directory. */
  private async input(request: TaskRequest): Promise<LocalBuildInput> {
    const settings: Record<string, string> = {};
    if (this.props.cacheDir) settings[LOCAL_BUILD_SETTINGS.cacheDir] = this.props.cacheDir;
    if (this.props.artifactDir) settings[LOCAL_BUILD_SETTINGS.artifactDir] = this.props.artifactDir;
    const gitUrls = this.props.gitUrls ?? {};
    const gitUrl = Object.prototype.hasOwnProperty.call(gitUrls, request.application) ? gitUrls[request.application] : undefined;
    if (gitUrl !== undefined) settings[BUILD_SETTINGS.gitUrl] = gitUrl.startsWith('file://') ? gitUrl : localPath(gitUrl);
    const access = await this.repositoryAccess(request);
    if (access) settings[BUILD_SETTINGS.gitUrl] = access.token === undefined ? localPath(access.gitUrl) : access.gitUrl;
    // As a build role would: a preview reads the secrets of the environment it copies, a fork's preview none at all.
    const secretsFrom = request.secretsFrom === undefined ? request.environment : request.secretsFrom;
    const names = secretsFrom === null ? [] : [
      secretNames.githubToken(this.installation),
      secretNames.environment(this.installation, request.application, secretsFrom),
    ];
    const secrets: Record<string, string> = {};
    try {
      for (const name of names) {
        try {
          secrets[name] = await this.props.secrets.get(name);
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error;
        }
      }
    } catch (error) {
      // The build fails in prepare with this reason, in its own log (as a builder that read the file would).
      return { dynamodb: this.props.dynamodb, secrets: {}, secretsError: `the secrets could not be read: ${errorMessage(error)}`, settings };
    }
    return { dynamodb: this.props.dynamodb, secrets, settings, ...access?.token !== undefined && { repositoryToken: access.token } };
  }

  /** The build's installation token, if the App gives one; a failure only means the build clones as without an App. */
  private async repositoryAccess(request: TaskRequest): Promise<RepositoryAccess | undefined> {
    try {
      return await this.props.repositoryAccess?.(request);
    } catch (error) {
      this.log({ message: 'no repository token for the build', deployment: request.deploymentId, error: maskCredentials(errorMessage(error)).slice(0, 300) });
      return undefined;
    }
  }

  private get installation(): string {
    return this.props.installation ?? 'local';
  }

  private forgetOldTasks(): void {
    const finished = [...this.tasks.values()].filter(task => task.finished);
    for (const task of finished.slice(0, Math.max(0, finished.length - REMEMBERED))) {
      this.tasks.delete(task.taskId);
      this.byDeployment.delete(task.deploymentId);
    }
  }

  private log(entry: Record<string, unknown>): void {
    this.props.log?.(entry);
  }
}

/** The bundled local builder next to this module, in the source tree (src/local) or the package (lib/local). */
export function defaultBuilderScript(): string {
  const script = join(__dirname, '..', '..', 'assets', 'local', 'builder.js');
  if (!existsSync(script)) throw new Error(`the local builder ${script} is missing; run \`npx projen bundle\` first`);
  return script;
}
