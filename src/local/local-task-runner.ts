import { ChildProcess, spawn } from 'child_process';
import { randomBytes } from 'crypto';
import { WriteStream, createWriteStream, existsSync, mkdirSync } from 'fs';
import { mkdtemp, rm } from 'fs/promises';
import { constants, tmpdir } from 'os';
import { join } from 'path';
import { createInterface } from 'readline';
import { LOCAL_BUILD_SETTINGS, LocalBuildInput, LocalDynamoDb } from './local-build-settings';
import { localPath } from './local-commit-source';
import { ProcessRecords, processStartTime } from './process-records';
import { retryWithin } from './retry';
import { TaskStopped } from '../runtime/deployments/finalize';
import { buildEnvironment } from '../runtime/deployments/launch';
import { BUILD_PARAMETERS, BUILD_SETTINGS, secretNames } from '../runtime/core/build-contract';
import { NotFoundError, errorMessage } from '../runtime/core/errors';
import { parseBuildLogLine } from '../runtime/core/log-lines';
import { SecretSource, StartedTask, TaskRequest, TaskRunner, TaskState } from '../runtime/core/ports';
import { LogRecord } from '../runtime/core/types';

/** How the builder program is started: `command args...` (the deployment's workspace is its cwd). */
export interface BuilderCommand {
  /** @default process.execPath */
  readonly command?: string;
  readonly args: readonly string[];
}

export interface LocalTaskRunnerProps {
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
  /** Keep each build's workspace after it ended (for debugging). @default false */
  readonly keepWorkspaces?: boolean;
  /** The environment builds inherit (PATH, HOME, the user's AWS profile, ...). `TRELLIS_*` are dropped. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The live path: a batch of records, in seq order, one batch at a time per task (ingestLogs in the local server). */
  readonly onRecords: (deploymentId: string, records: readonly LogRecord[]) => Promise<unknown>;
  /** The task stopped, after all its records went to onRecords (finalizeTask in the local server). onRecords and onExit are retried (both are idempotent) for RETRY_WINDOW_MS. */
  readonly onExit: (event: TaskStopped) => Promise<unknown>;
  readonly log?: (entry: Record<string, unknown>) => void;
  /** SIGTERM, then SIGKILL after this long. @default 5000 */
  readonly stopGraceMs?: number;
  /** A batch waits at most this long. @default 100 */
  readonly flushMs?: number;
  /** Records per batch at most. @default 500 */
  readonly maxBatch?: number;
  /** Records waiting for onRecords beyond which the builder's stdout is paused (the builder then waits on its writes). @default 20000 */
  readonly maxPending?: number;
  /**
   * Where each running build's process group, start time and workspace are recorded while it
   * runs, so the next start of a server that was killed can stop it and remove its workspace.
   * @default - not recorded
   */
  readonly processRecords?: ProcessRecords;
}

/** A local task as `describe` reports it, with the builder's process id. */
export interface LocalTaskState extends TaskState {
  readonly deploymentId: string;
  readonly pid: number;
  readonly workspace: string;
  /** The file with the builder's output that was not a log record (stderr, a crash). */
  readonly outputFile: string;
}

const DEFAULT_GRACE_MS = 5000;
const DEFAULT_FLUSH_MS = 100;
const DEFAULT_MAX_BATCH = 500;
const DEFAULT_MAX_PENDING = 20_000;
/** Non-record lines logged per task; the rest are only in its output file. */
const LOGGED_LINES = 20;
/** After the builder exited, how long its pipes may stay open before they are cut. */
const CLOSE_TIMEOUT_MS = 2000;
/** Finished tasks `describe` still knows. */
const REMEMBERED = 500;
/** Records of each task kept after delivery, to send again if the table may have lost them. */
const KEPT_RECORDS = 5000;

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
    const names = [
      secretNames.githubToken(this.installation),
      secretNames.environment(this.installation, request.application, request.environment),
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
    return { dynamodb: this.props.dynamodb, secrets, settings };
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

/** One build: its process, its record batches, its output file, and how it ended. */
class LocalTask {
  readonly done: Promise<void>;
  finished = false;
  private exitCode?: number;
  private stopReason?: string;
  private killTimer?: NodeJS.Timeout;
  private readonly batcher: RecordBatcher;
  /** Batches handed on, newest last, with when their delivery started and whether it was given up. */
  private readonly delivered: Array<{ readonly at: number; readonly records: readonly LogRecord[]; readonly givenUp: boolean }> = [];
  private keptRecords = 0;
  private output?: WriteStream;
  private outputLines = 0;
  private readonly pid: number;
  private readonly closed: Promise<void>;

  constructor(
    readonly taskId: string,
    readonly deploymentId: string,
    private readonly child: ChildProcess,
    private readonly workspace: string,
    private readonly outputFile: string,
    private readonly props: LocalTaskRunnerProps,
  ) {
    this.pid = child.pid!;
    // However the server's process ends (an uncaught error, process.exit), the build's group goes with it.
    const killOnExit = () => this.signalGroup('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.removeListener('exit', killOnExit));
    this.closed = new Promise(resolve => child.once('close', () => resolve()));
    const stdout = child.stdout!;
    this.batcher = new RecordBatcher({
      flushMs: props.flushMs ?? DEFAULT_FLUSH_MS,
      maxBatch: props.maxBatch ?? DEFAULT_MAX_BATCH,
      maxPending: props.maxPending ?? DEFAULT_MAX_PENDING,
      deliver: records => this.deliver(records),
      pressure: high => (high ? stdout.pause() : stdout.resume()),
    });
    createInterface({ input: stdout, crlfDelay: Infinity }).on('line', line => this.stdoutLine(line));
    createInterface({ input: child.stderr!, crlfDelay: Infinity }).on('line', line => this.otherLine(line, 'stderr'));
    this.done = this.lifecycle();
  }

  state(): LocalTaskState {
    return {
      taskId: this.taskId,
      deploymentId: this.deploymentId,
      pid: this.pid,
      running: !this.finished,
      exitCode: this.exitCode,
      stopReason: this.stopReason,
      workspace: this.workspace,
      outputFile: this.outputFile,
    };
  }

  /** SIGTERM to the whole group now, SIGKILL after the grace period; a no-op once it exited. */
  stop(reason: string): void {
    if (this.exited() || this.killTimer) return;
    this.stopReason = reason;
    this.signalGroup('SIGTERM');
    this.killTimer = setTimeout(() => this.signalGroup('SIGKILL'), this.props.stopGraceMs ?? DEFAULT_GRACE_MS);
    this.killTimer.unref();
  }

  private exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  private async lifecycle(): Promise<void> {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(resolve => {
      this.child.once('exit', (exitCode, signalCode) => resolve([exitCode, signalCode]));
    });
    clearTimeout(this.killTimer);
    // Whatever the builder left running (it was killed, or a command escaped its cleanup) goes with it.
    this.signalGroup('SIGKILL');
    await this.pipesClosed();
    this.exitCode = code ?? (signal ? signalExitCode(signal) : undefined);
    this.stopReason ??= signal ? `the builder was killed by ${signal}` : `the builder exited with code ${code}`;
    await this.batcher.drain();
    await new Promise<void>(resolve => (this.output ? this.output.end(resolve) : resolve()));
    if (!this.props.keepWorkspaces) {
      await rm(this.workspace, { recursive: true, force: true }).catch(error =>
        this.log({ message: 'workspace not removed', task: this.taskId, workspace: this.workspace, error: errorMessage(error) }));
    }
    // Its processes are gone and its workspace removed: nothing for a next start to clean up.
    this.props.processRecords?.remove(this.taskId);
    this.log({ message: 'build stopped', task: this.taskId, deployment: this.deploymentId, exitCode: this.exitCode, stopReason: this.stopReason });
    const event: TaskStopped = { taskId: this.taskId, deploymentId: this.deploymentId, exitCode: this.exitCode, stopReason: this.stopReason };
    await this.withRetries('exit report', () => this.props.onExit(event));
    this.finished = true;
  }

  /**
   * 'close' follows 'exit' once stdout and stderr ended. A pipe still open long after (held
   * by a process that left the group) is cut, unless it is paused for a slow onRecords.
   */
  private async pipesClosed(): Promise<void> {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        this.closed.then(() => false),
        new Promise<boolean>(resolve => { timer = setTimeout(() => resolve(true), CLOSE_TIMEOUT_MS); }),
      ]);
      clearTimeout(timer);
      if (!timedOut) break;
      if (!this.batcher.paused) {
        this.log({ message: 'builder output still open after it exited; cut', task: this.taskId });
        this.child.stdout?.destroy();
        this.child.stderr?.destroy();
        break;
      }
    }
    // readline has emitted every line by the time the streams closed; one turn for safety.
    await new Promise(resolve => setImmediate(resolve));
  }

  private stdoutLine(line: string): void {
    const parsed = parseBuildLogLine(line);
    if (parsed && parsed.deploymentId === this.deploymentId) this.batcher.add(parsed.record);
    else this.otherLine(line, 'stdout');
  }

  /** Not a record of this build (a crash dump, Node's warnings): kept in the task's file, and logged. */
  private otherLine(line: string, stream: 'stdout' | 'stderr'): void {
    this.output ??= createWriteStream(this.outputFile, { flags: 'a', mode: 0o600 });
    this.output.write(`${stream}: ${line}\n`);
    this.outputLines++;
    if (this.outputLines <= LOGGED_LINES) {
      this.log({ message: 'builder output that is not a log record', task: this.taskId, deployment: this.deploymentId, stream, text: line.slice(0, 1000) });
    } else if (this.outputLines === LOGGED_LINES + 1) {
      this.log({ message: 'more builder output that is not a log record', task: this.taskId, file: this.outputFile });
    }
  }

  private async deliver(records: readonly LogRecord[]): Promise<void> {
    const at = Date.now();
    const ok = await this.withRetries('log records', () => this.props.onRecords(this.deploymentId, records), { first: records[0]?.seq, count: records.length });
    this.delivered.push({ at, records, givenUp: !ok });
    this.keptRecords += records.length;
    while (this.keptRecords > KEPT_RECORDS && this.delivered.length > 1) this.keptRecords -= this.delivered.shift()!.records.length;
  }

  redeliverSince(since: number): void {
    const again = this.delivered.filter(batch => batch.at >= since || batch.givenUp).flatMap(batch => batch.records);
    if (again.length === 0) return;
    this.log({ message: 'log records sent again', task: this.taskId, deployment: this.deploymentId, first: again[0].seq, count: again.length });
    for (const record of again) this.batcher.add(record);
  }

  private async withRetries(what: string, action: () => Promise<unknown>, details: Record<string, unknown> = {}): Promise<boolean> {
    return retryWithin(action, ({ attempt, error, last }) =>
      this.log({ message: `${what} failed${last ? '; given up' : '; retrying'}`, task: this.taskId, deployment: this.deploymentId, attempt, error, ...details }));
  }

  private signalGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }

  private log(entry: Record<string, unknown>): void {
    this.props.log?.(entry);
  }
}

interface BatcherOptions {
  readonly flushMs: number;
  readonly maxBatch: number;
  /** Waiting records beyond which `pressure(true)` asks the source to pause; `pressure(false)` below half of it. */
  readonly maxPending: number;
  /** One call at a time; records in seq order across calls. Must not throw. */
  readonly deliver: (records: readonly LogRecord[]) => Promise<void>;
  /** True when too many records wait, false when they are down again. */
  readonly pressure: (high: boolean) => void;
}

/**
 * Records to batches: a batch goes when it is full or its first record waited `flushMs`;
 * while one is being delivered the next gathers (one batch in flight, order kept).
 */
export class RecordBatcher {
  private pending: LogRecord[] = [];
  private timer?: NodeJS.Timeout;
  private pumping?: Promise<void>;
  private high = false;

  constructor(private readonly options: BatcherOptions) {}

  /** True while the source is asked to pause (too many records wait). */
  get paused(): boolean {
    return this.high;
  }

  add(record: LogRecord): void {
    this.pending.push(record);
    if (!this.high && this.pending.length >= this.options.maxPending) {
      this.high = true;
      this.options.pressure(true);
    }
    if (this.pumping) return; // the running pump takes it
    if (this.pending.length >= this.options.maxBatch) this.pump();
    else this.timer ??= setTimeout(() => this.pump(), this.options.flushMs);
  }

  /** Deliver everything added so far. */
  async drain(): Promise<void> {
    if (!this.pumping) this.pump();
    await this.pumping;
  }

  private pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pumping || this.pending.length === 0) return;
    this.pumping = (async () => {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, this.options.maxBatch);
        if (this.high && this.pending.length < this.options.maxPending / 2) {
          this.high = false;
          this.options.pressure(false);
        }
        await this.options.deliver(batch);
      }
      this.pumping = undefined;
    })();
  }
}

/** The shell's and Docker's convention for a process killed by a signal (SIGKILL → 137), as ECS reports it. */
function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}
