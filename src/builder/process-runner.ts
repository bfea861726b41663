import { spawn } from 'child_process';
import { AppUser } from './app-user';
import { LineSplitter } from './lines';
import { Masker } from './masking';
import { OutputStream } from './output';

export interface RunOptions {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** Each whole line of the child's output, not yet masked. */
  readonly onLine: (line: string, stream: OutputStream) => void;
  /** Used to cut over-long lines where no secret straddles the cut. */
  readonly masker: Masker;
  /** Aborting kills the child (SIGTERM from ECS when a deployment is cancelled). */
  readonly signal?: AbortSignal;
  /**
   * Run as this uid and gid (the builder is root): libuv also drops every supplementary group
   * and the child keeps no capability. Absent: the builder's own user.
   */
  readonly user?: AppUser;
}

/** How many of a command's last lines of output its result keeps, to say why it failed (failure-cause.ts). */
export const RECENT_OUTPUT_LINES = 50;

export interface CommandResult {
  /** Exit code, or undefined when the child was killed or did not start. */
  readonly code?: number;
  readonly signal?: string;
  /** Why the child did not start (not found, not executable) or was aborted. */
  readonly error?: string;
  /** Its last RECENT_OUTPUT_LINES lines, both streams in the order read. Not masked: mask before showing. */
  readonly output: readonly string[];
}

/**
 * Run one argument vector: no shell ever sees it, so `;`, `$(...)`, quotes and newlines
 * in any argument are just characters.
 */
export function runCommand(argv: readonly string[], options: RunOptions): Promise<CommandResult> {
  return new Promise(resolve => {
    const child = spawn(argv[0], argv.slice(1), {
      shell: false,
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: options.signal,
      ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
    });
    let error: string | undefined;
    const output: string[] = [];
    const onLine = (line: string, stream: OutputStream) => {
      if (output.push(line) > RECENT_OUTPUT_LINES) output.shift();
      options.onLine(line, stream);
    };
    const splitters = (['stdout', 'stderr'] as const).map(stream => {
      const splitter = new LineSplitter(line => onLine(line, stream), options.masker);
      child[stream]?.setEncoding('utf8');
      child[stream]?.on('data', (chunk: string) => splitter.push(chunk));
      return splitter;
    });
    child.on('error', (cause: NodeJS.ErrnoException) => {
      error = cause.name === 'AbortError' ? 'stopped'
        : cause.code === 'ENOENT' ? `command '${argv[0]}' was not found`
          : cause.code === 'EACCES' ? `command '${argv[0]}' is not executable`
            : cause.message;
    });
    // 'close', not 'exit': all output has been read by then.
    child.on('close', (code, signal) => {
      splitters.forEach(splitter => splitter.end());
      // After a spawn error, code is a negative errno, not an exit code.
      resolve(error ? { error, output } : { code: code ?? undefined, signal: signal ?? undefined, output });
    });
  });
}

/** kill(-1): every process this uid may signal but itself; ESRCH means there was none. */
const STOP_ALL = 'try { process.kill(-1, "SIGKILL") } catch (error) { if (error.code !== "ESRCH") throw error }';

/**
 * SIGKILL every process of `user` (kill(-1) as that user reaches exactly its own processes):
 * nothing an install script or test left running in the background outlives its command, so
 * none reads a later command's environment (the deploy's credentials) or changes the workspace
 * while the builder reads it.
 */
export function stopStrayProcesses(user: AppUser): Promise<void> {
  return new Promise((resolve, reject) => {
    const killer = spawn(process.execPath, ['-e', STOP_ALL], {
      shell: false,
      uid: user.uid,
      gid: user.gid,
      env: {},
      stdio: 'ignore',
    });
    killer.on('error', reject);
    killer.on('close', code => (code === 0 ? resolve() : reject(new Error(`stopping uid ${user.uid}'s processes failed with code ${code}`))));
  });
}

/** How a command line is shown in the log: arguments with spaces or quotes are JSON-quoted. */
export function displayCommand(argv: readonly string[]): string {
  return argv.map(arg => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg))).join(' ');
}
