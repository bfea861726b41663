import { ChildProcess } from 'child_process';
import { WriteStream, createWriteStream } from 'fs';
import { rm } from 'fs/promises';
import { createInterface } from 'readline';
import { killGroupOnExit, signalExitCode, signalGroup } from './process-group';
import { ProcessRecords } from './process-records';
import { RecordBatcher } from './record-batcher';
import { retryWithin } from './retry';
import { errorMessage } from '../runtime/core/errors';
import { parseBuildLogLine } from '../runtime/core/log-lines';
import { TaskState } from '../runtime/core/ports';
import { LogRecord } from '../runtime/core/types';
import { TaskStopped } from '../runtime/deployments/finalize';

/** What a running build needs from its runner: where its records and exit go, and its limits. */
export interface LocalTaskOptions {
  /** Keep each build's workspace after it ended (for debugging). @default false */
  readonly keepWorkspaces?: boolean;
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
/** Records of each task kept after delivery, to send again if the table may have lost them. */
const KEPT_RECORDS = 5000;

/**
 * One build: its process (the leader of its own process group), its record batches, its output
 * file, and how it ended.
 */
export class LocalTask {
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
    private readonly props: LocalTaskOptions,
  ) {
    this.pid = child.pid!;
    // However the server's process ends (an uncaught error, process.exit), the build's group goes with it.
    child.once('exit', killGroupOnExit(this.pid));
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
    signalGroup(this.pid, 'SIGTERM');
    this.killTimer = setTimeout(() => signalGroup(this.pid, 'SIGKILL'), this.props.stopGraceMs ?? DEFAULT_GRACE_MS);
    this.killTimer.unref();
  }

  redeliverSince(since: number): void {
    const again = this.delivered.filter(batch => batch.at >= since || batch.givenUp).flatMap(batch => batch.records);
    if (again.length === 0) return;
    this.log({ message: 'log records sent again', task: this.taskId, deployment: this.deploymentId, first: again[0].seq, count: again.length });
    for (const record of again) this.batcher.add(record);
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
    signalGroup(this.pid, 'SIGKILL');
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

  private async withRetries(what: string, action: () => Promise<unknown>, details: Record<string, unknown> = {}): Promise<boolean> {
    return retryWithin(action, ({ attempt, error, last }) =>
      this.log({ message: `${what} failed${last ? '; given up' : '; retrying'}`, task: this.taskId, deployment: this.deploymentId, attempt, error, ...details }));
  }

  private log(entry: Record<string, unknown>): void {
    this.props.log?.(entry);
  }
}
