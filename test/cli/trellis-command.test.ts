import { execFileSync, spawn } from 'child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { DataDir } from '../../src/local/data-dir';
import { localClientConfig } from '../../src/local/dynamodb-local';
import { newApiToken } from '../../src/runtime/core/api-tokens';
import { isTerminal } from '../../src/runtime/core/state-machine';
import { Deployment } from '../../src/runtime/core/types';
import { createDynamoStore } from '../../src/runtime/store/dynamo-store';
import { tableContext } from '../../src/runtime/store/table-context';
import { cleanUp, noteDescendants } from '../local/support/process-cleanup';
import { TrellisProcess, bundleTrellis } from '../local/support/trellis-process';
import { eventually } from '../support/eventually';

/**
 * The `trellis` command against a real `trellis local` (one server for the whole file; the
 * tests run in order and build on each other's deployments): sign-in with --password-stdin,
 * every read and action with --json compared with the API's own answer, --wait's exit codes,
 * usage and sign-in errors, and API tokens used from the command as CI uses them.
 */

const APP = 'sample-app';
let cli: string | undefined;
let dataDir: string | undefined;
let trellis: TrellisProcess;
let url: string;
let scratch: string;
const started: TrellisProcess[] = [];
const commands = new Map<number, string>();
/** Everything the command wrote on stderr, across the tests. */
const errors: string[] = [];

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `trellis <args>` as a separate process, with its own config directory and no TRELLIS_* from the test's environment. */
function run(args: readonly string[], options: { env?: Record<string, string>; stdin?: string; configDir?: string } = {}): Promise<Run> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TRELLIS_')));
  const env = { ...inherited, TRELLIS_CONFIG_DIR: options.configDir ?? join(scratch, 'config'), ...options.env };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli!, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', chunk => { stdout += chunk; });
    child.stderr.on('data', chunk => { stderr += chunk; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`trellis ${args.join(' ')} did not end:\n${stdout}\n${stderr}`)); }, 150_000);
    child.once('exit', code => {
      clearTimeout(timer);
      noteDescendants(trellis, commands);
      errors.push(stderr);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/** A command that must succeed, its stdout as JSON. */
async function json(args: readonly string[], options: Parameters<typeof run>[1] = {}): Promise<any> {
  const result = await run([...args, '--json'], options);
  if (result.code !== 0) throw new Error(`trellis ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return JSON.parse(result.stdout);
}

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const answer = await trellis.api(method, path, body);
  if (answer.status >= 300) throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** The permission bits of `path` in octal ('600'). */
const permissions = (path: string) => (statSync(path).mode % 0o1000).toString(8);
const repo = () => trellis.info.applications[APP].path;
const git = (...args: string[]) => execFileSync('git', ['-C', repo(), ...args], { encoding: 'utf8' }).trim();

beforeAll(async () => {
  cli = bundleTrellis();
  scratch = mkdtempSync(join(tmpdir(), 'trellis-command-'));
  dataDir = join(scratch, 'data');
  trellis = await TrellisProcess.start(cli, { dataDir });
  started.push(trellis);
  url = trellis.info.url;
}, 150_000);

afterAll(async () => {
  await cleanUp(started, commands, [scratch, cli && dirname(dirname(cli))].filter((path): path is string => path !== undefined));
}, 60_000);

describe('signing in', () => {
  test('a command before any sign-in: exit 3, naming `trellis login --url`', async () => {
    const result = await run(['apps', '--url', url]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`not signed in to ${url}: run \`trellis login --url ${url}\``);
    const none = await run(['status']);
    expect([none.code, none.stderr]).toEqual([3, expect.stringContaining('trellis login --url <url>')]);
  });

  test('login --user with a wrong password: exit 3, nothing stored', async () => {
    const configDir = join(scratch, 'wrong');
    const result = await run(['login', '--url', url, '--user', 'admin', '--password-stdin'], { stdin: 'not-the-password\n', configDir });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('unknown user or wrong password');
    expect(() => statSync(join(configDir, 'trellis', 'credentials.json'))).toThrow();
  });

  test('login --user --password-stdin: signed in, the credentials file 0600 in a 0700 directory, one entry per URL', async () => {
    const result = await run(['login', '--url', `${url}/`, '--user', 'admin', '--password-stdin'], { stdin: `${trellis.adminPassword}\n` });
    expect([result.code, result.stdout]).toEqual([0, expect.stringContaining(`Signed in to ${url} as admin until `)]);
    const file = join(scratch, 'config', 'trellis', 'credentials.json');
    expect(permissions(file)).toBe('600');
    expect(permissions(dirname(file))).toBe('700');

    // The same server by another name is another installation to the file; logout forgets that one only.
    const other = url.replace('127.0.0.1', 'localhost');
    expect((await run(['login', '--url', other, '--user', 'admin', '--password-stdin'], { stdin: trellis.adminPassword })).code).toBe(0);
    let stored = JSON.parse(readFileSync(file, 'utf8'));
    expect(Object.keys(stored.installations).sort()).toEqual([url, other].sort());
    expect(stored.current).toBe(other);
    expect(stored.installations[url]).toMatchObject({ url, apiUrl: url, user: 'admin', token: expect.stringMatching(/^ey/) });
    expect((await run(['logout', '--url', other])).stdout).toContain(`Signed out of ${other}.`);
    stored = JSON.parse(readFileSync(file, 'utf8'));
    expect(Object.keys(stored.installations)).toEqual([url]);
    expect(permissions(file)).toBe('600');
    // No current installation now: the command names the one still signed in; --url (or TRELLIS_URL) uses it.
    const unchosen = await run(['apps']);
    expect([unchosen.code, unchosen.stderr]).toEqual([2, expect.stringContaining(`trellis: no installation chosen: signed in to ${url}; pass --url <url> to use one`)]);
    expect((await run(['apps'], { env: { TRELLIS_URL: url } })).code).toBe(0);
    expect((await run(['login', '--url', url, '--user', 'admin', '--password-stdin'], { stdin: trellis.adminPassword })).code).toBe(0);
  });
});

describe('reads with --json print the API\'s answer', () => {
  test('apps, status, status <app>, history', async () => {
    expect(await json(['apps'])).toEqual(await api('GET', '/api/apps'));
    expect(await json(['status'])).toEqual(await api('GET', '/api/apps'));
    expect(await json(['status', APP])).toEqual(await api('GET', `/api/apps/${APP}`));
    expect(await json(['history', APP, 'dev', '--limit', '5'])).toEqual(await api('GET', `/api/apps/${APP}/environments/dev/deployments?limit=5`));

    const table = await run(['status', APP]);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ENVIRONMENT +DEPLOYED +BRANCH +LAST DEPLOYMENT +WHEN +UNDER WAY$/);
    expect(table.stdout).toMatch(new RegExp(`^${APP}/production `, 'm'));
  });
});

describe('actions', () => {
  let firstDev: Deployment;

  test('deploy --wait --json: exit 0, a line per phase as it starts and ends (stderr), the final deployment as the API has it (stdout)', async () => {
    const result = await run(['deploy', APP, 'dev', '--wait', '--json']);
    expect(result.code).toBe(0);
    firstDev = JSON.parse(result.stdout);
    expect(firstDev).toMatchObject({ application: APP, environment: 'dev', action: 'deploy', status: 'succeeded', commit: git('rev-parse', 'main') });
    expect(firstDev).toEqual(await api('GET', `/api/deployments/${firstDev.id}`));
    const lines = result.stderr.split('\n');
    for (const phase of ['install', 'test', 'deploy']) {
      const start = lines.indexOf(`==> ${phase}`);
      const end = lines.findIndex(line => line.startsWith(`==> ${phase} succeeded`));
      expect([phase, start]).not.toEqual([phase, -1]);
      expect(end).toBeGreaterThan(start);
    }
  }, 150_000);

  test('deploy --branch of a commit whose tests fail, --wait: exit 1 with the reason; --commit deploys a given commit', async () => {
    const pricing = join(repo(), 'src', 'pricing.js');
    const original = readFileSync(pricing, 'utf8');
    git('checkout', '-q', '-b', 'broken');
    writeFileSync(pricing, original.replace('const DISCOUNT_RATE = 0.1;', 'const DISCOUNT_RATE = 0.2;'));
    git('commit', '-q', '-am', 'Bigger bulk discount');
    const broken = git('rev-parse', 'HEAD');
    git('checkout', '-q', 'main');

    const failed = await run(['deploy', APP, 'dev', '--branch', 'broken', '--wait']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^==> test failed/m);
    expect(failed.stderr).toMatch(new RegExp(`^trellis: ${APP}/dev deploy ${broken.slice(0, 7)} failed in .+: test failed: npm run test exited with code 1`, 'm'));
    const queued = await json(['deploy', APP, 'dev', '--commit', firstDev.commit]);
    expect(queued).toMatchObject({ application: APP, environment: 'dev', commit: firstDev.commit, status: 'queued' });
    const done = await eventually('the --commit deployment to end', async () => {
      const current: Deployment = await api('GET', `/api/deployments/${queued.id}`);
      return isTerminal(current.status) ? current : undefined;
    }, 120_000);
    expect(done).toMatchObject({ commit: firstDev.commit, status: 'succeeded', createdAt: queued.createdAt });
  }, 240_000);

  test('promote: only to the next environment (exit 2 naming it); --wait --json', async () => {
    const wrong = await run(['promote', APP, 'dev', 'production']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('trellis: dev promotes to the next environment, staging, not production');
    expect(wrong.stderr).toContain('see `trellis promote --help`');
    const promoted = await json(['promote', APP, 'dev', 'staging', '--wait']);
    expect(promoted).toMatchObject({ environment: 'staging', action: 'promote', status: 'succeeded', commit: firstDev.commit });
    expect(promoted).toEqual(await api('GET', `/api/deployments/${promoted.id}`));
  }, 150_000);

  test('rollback without --to goes back to the newest succeeded version before the current one', async () => {
    writeFileSync(join(repo(), 'NOTES.md'), 'A second version\n');
    git('add', 'NOTES.md');
    git('commit', '-q', '-m', 'A second version');
    expect(await json(['deploy', APP, 'dev', '--wait'])).toMatchObject({ status: 'succeeded', commit: git('rev-parse', 'main') });
    const environment = (await api('GET', `/api/apps/${APP}`)).environments.find((env: { name: string }) => env.name === 'dev');
    const history: Deployment[] = (await api('GET', `/api/apps/${APP}/environments/dev/deployments?limit=50`)).items;
    const expected = history.find(item => item.status === 'succeeded' && item.action !== 'teardown' && item.commit !== environment.currentCommit)!;
    expect(expected.commit).toBe(firstDev.commit);
    const rolledBack = await json(['rollback', APP, 'dev', '--wait']);
    expect(rolledBack).toMatchObject({ action: 'rollback', status: 'succeeded', commit: expected.commit, trigger: { sourceDeploymentId: expected.id } });
  }, 150_000);

  test('teardown needs --confirm naming the environment (exit 2); with it, --wait', async () => {
    const missing = await run(['teardown', APP, 'staging']);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining("required option '--confirm <env>' not specified")]);
    const wrong = await run(['teardown', APP, 'staging', '--confirm', 'dev']);
    expect([wrong.code, wrong.stderr]).toEqual([2, expect.stringContaining("--confirm must repeat the environment's name, staging; got 'dev'")]);
    const torn = await json(['teardown', APP, 'staging', '--confirm', 'staging', '--wait']);
    expect(torn).toMatchObject({ action: 'teardown', status: 'succeeded' });
    expect((await api('GET', `/api/apps/${APP}`)).environments.find((env: { name: string }) => env.name === 'staging').currentCommit).toBeUndefined();
  }, 150_000);

  test('cancel --wait: exit 0 once the deployment ended cancelled', async () => {
    await api('PUT', `/api/apps/${APP}/environments/dev/settings`, { variables: { SAMPLE_DEPLOY_HOLD_MS: '60000' } });
    try {
      const queued = await json(['deploy', APP, 'dev']);
      const cancelled = await json(['cancel', queued.id, '--wait']);
      expect(cancelled).toMatchObject({ id: queued.id, status: 'cancelled' });
    } finally {
      await api('PUT', `/api/apps/${APP}/environments/dev/settings`, { variables: { SAMPLE_DEPLOY_HOLD_MS: null } });
    }
  }, 150_000);

  test('cancel of a deployment that had already ended otherwise: exit 1, nothing cancelled', async () => {
    const result = await run(['cancel', firstDev.id, '--wait']);
    expect([result.code, result.stdout, result.stderr]).toEqual([1, '', `trellis: ${firstDev.id} had already succeeded: nothing to cancel\n`]);
    expect((await api('GET', `/api/deployments/${firstDev.id}`)).status).toBe('succeeded');
  });

  test('history: a commit message with escape sequences and line breaks prints as plain text on its row', async () => {
    const esc = '\u001b';
    git('checkout', '-q', '-b', 'hostile');
    writeFileSync(join(repo(), 'HOSTILE.md'), 'escape sequences in a commit message\n');
    git('add', 'HOSTILE.md');
    git('commit', '-q', '-m', `Hostile ${esc}]0;pwned${esc}\\${esc}[31mred${esc}[0m\rover\u009b2J`, '-m', `second ${esc}[2J paragraph\u0007`);
    git('checkout', '-q', 'main');
    const queued = await json(['deploy', APP, 'dev', '--branch', 'hostile']);
    expect(queued.commitMessage).toContain(esc);
    await json(['cancel', queued.id]);

    const history = await run(['history', APP, 'dev', '--limit', '3']);
    expect(history.code).toBe(0);
    expect(history.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    const row = history.stdout.split('\n').find(line => line.startsWith(queued.id));
    // git's subject line (%s): the first paragraph; the carriage return became a space.
    expect(row).toMatch(/ Hostile red ?over$/);
    expect(history.stdout.trimEnd().split('\n')).toHaveLength(4);
  }, 60_000);

  test('usage errors exit 2 with the reason and where the command\'s help is', async () => {
    for (const [args, reason] of [
      [['deploy', APP], "missing required argument 'env'"],
      [['deploy', APP, 'dev', '--commit', 'abc'], "--commit must be a commit's full sha (40 hexadecimal characters), got 'abc'"],
      [['deploy', APP, 'dev', '--branch', 'main', '--commit', firstDev.commit], "option '--branch <branch>' cannot be used with option '--commit <sha>'"],
      [['history', APP, 'dev', '--limit', '0'], "option '--limit <n>' argument '0' is invalid"],
      [['apps', '--verbose'], "unknown option '--verbose'"],
      [['tokens', 'create', '--name', 'ci', '--role', 'owner'], "option '--role <role>' argument 'owner' is invalid. Allowed choices are viewer, deployer, admin."],
    ] as const) {
      const result = await run(args);
      expect([args, result.code, result.stderr]).toEqual([args, 2, expect.stringContaining(`trellis: ${reason}`)]);
      expect(result.stderr).toMatch(/^see `trellis [a-z ]+--help`$/m);
      expect(result.stderr).not.toContain('Usage:');
    }
  });

  test('help: the commands, and each command\'s options with examples', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['login', 'logout', 'apps', 'status', 'history', 'deploy', 'promote', 'rollback', 'teardown', 'cancel', 'tokens', 'logs', 'local', 'push']) {
      expect([command, help.stdout]).toEqual([command, expect.stringMatching(new RegExp(`^ {2}${command} `, 'm'))]);
    }
    expect(help.stdout).toContain('Exit codes: 0 done');
    const deploy = await run(['deploy', '--help']);
    expect(deploy.stdout).toContain('--wait');
    expect(deploy.stdout).toContain('Examples:\n  trellis deploy shop dev');
  });
});

describe('API tokens from the command', () => {
  const secrets: string[] = [];

  test('create (shown once, alone on stdout), use with TRELLIS_TOKEN, scope enforced, no minting, revoke, expired refused', async () => {
    const created = await run(['tokens', 'create', '--name', 'ci', '--role', 'deployer', '--app', APP, '--expires', '7d']);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    secrets.push(token);
    expect(token).toMatch(/^trellis_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain(`Created token ci (${token.split('_')[1]}): deployer on ${APP}`);

    const ci = { configDir: join(scratch, 'ci'), env: { TRELLIS_URL: url, TRELLIS_TOKEN: token } };
    expect(await json(['status', APP], ci)).toEqual(await api('GET', `/api/apps/${APP}`).then(view => ({ ...view, environments: expect.any(Array) })));
    const deployed = await json(['deploy', APP, 'dev', '--wait'], ci);
    expect(deployed).toMatchObject({ status: 'succeeded', trigger: { actor: 'token ci' } });
    // production is protected: a deployer may not deploy there; the API's reason names the role.
    const refused = await run(['deploy', APP, 'production'], ci);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/^trellis: not allowed \(with TRELLIS_TOKEN\): .*admin/m);
    const minting = await run(['tokens', 'create', '--name', 'more', '--role', 'viewer', '--app', APP], ci);
    expect(minting.code).toBe(3);
    expect(minting.stdout).toBe('');

    const listed = await json(['tokens', 'list']);
    expect(listed).toEqual(await api('GET', '/api/tokens'));
    expect(listed.items).toEqual([expect.objectContaining({ id: token.split('_')[1], name: 'ci', lastUsedAt: expect.any(String) })]);
    const revoked = await json(['tokens', 'revoke', token]);
    expect(revoked).toMatchObject({ id: token.split('_')[1], name: 'ci' });
    const after = await run(['apps'], ci);
    expect(after.code).toBe(3);
    expect(after.stderr).toContain(`${url} refused TRELLIS_TOKEN`);

    // Expired: a token item with a past expiry in the server's own table, as the store would hold it.
    const expired = newApiToken();
    secrets.push(expired.token);
    const java = readFileSync(`/proc/${trellis.info.dynamodbPid}/cmdline`, 'utf8').split('\0');
    const endpoint = `http://127.0.0.1:${java[java.indexOf('-port') + 1]}`;
    const store = createDynamoStore(tableContext('trellis-local', localClientConfig(endpoint, new DataDir(dataDir!).dynamodbAccessKeyId())));
    const day = 24 * 3600_000;
    await store.apiTokens.create({
      id: expired.id,
      secretHash: expired.secretHash,
      name: 'old-ci',
      role: 'admin',
      application: '*',
      createdBy: 'admin',
      createdAt: new Date(Date.now() - 8 * day).toISOString(),
      expiresAt: new Date(Date.now() - day).toISOString(),
    });
    const old = await run(['apps'], { ...ci, env: { ...ci.env, TRELLIS_TOKEN: expired.token } });
    expect([old.code, old.stderr]).toEqual([3, expect.stringContaining(`${url} refused TRELLIS_TOKEN`)]);
  }, 240_000);

  test('no token\'s secret in the command\'s errors, the server\'s output or its log files', () => {
    const output = `${trellis.output}\n${errors.join('\n')}`;
    const serverLog = readFileSync(new DataDir(dataDir!).serverLog, 'utf8');
    for (const token of secrets) {
      const secret = token.split('_').slice(2).join('_');
      expect(output.includes(secret)).toBe(false);
      expect(serverLog.includes(secret)).toBe(false);
    }
    expect(secrets).toHaveLength(2);
  });
});
