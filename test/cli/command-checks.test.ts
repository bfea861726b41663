import { mkdtempSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ApiClient } from '../../src/cli/api-client';
import { CredentialStore } from '../../src/cli/credentials';
import { CliError, EXIT } from '../../src/cli/exit-codes';
import { waitForDeployment } from '../../src/cli/wait';
import { ApiMethod, ControlApiCalls } from '../../src/runtime/core/api-calls';
import { Deployment } from '../../src/runtime/core/types';
import { depId, queuedDeployment } from '../store/fixtures';
import { FakeInstallation, runTrellis } from './support/fake-installation';

/**
 * The `trellis` command's own checks and wording, in-process against a stand-in installation
 * (a real HTTP server answering as each test says): names checked before any call, the
 * server's text cleaned before the terminal, exit codes as `trellis --help` states them, and
 * what each refusal says.
 */

const ID = depId(7);
const ESC = '\u001b';
/** Colours, a window title, a screen clear, a newline, a carriage return, an 8-bit CSI. */
const HOSTILE = `red${ESC}[31m${ESC}]0;pwned${ESC}\\${ESC}[2J\nsecond\rline\u009b1;1H`;
/** Anything that would reach the terminal as a control: ESC, C1 controls, line breaks, BEL. */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/;

let fake: FakeInstallation;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  fake = await FakeInstallation.start();
  env = { TRELLIS_URL: fake.url, TRELLIS_TOKEN: 'trellis_abcdefghijkl_notarealsecretnotarealsecretnotarealsecret1' };
});

afterEach(() => fake.close());

const trellis = (args: readonly string[], options: Parameters<typeof runTrellis>[1] = {}) => runTrellis(args, { env, ...options });

const deployment = (overrides: Partial<Deployment> = {}): Deployment => queuedDeployment(ID, 'shop', 'dev', overrides);

const appView = (name: string, environments: readonly string[]) => ({
  name, repository: `acme/${name}`, origin: 'code', environments: environments.map((env_, position) => ({ name: env_, position, variables: {}, secrets: [] })),
});

describe('the server\'s text never drives the terminal', () => {
  test('history: a commit message, an actor and a status with escape sequences and newlines print as plain one-line cells', async () => {
    const hostile = deployment({ status: 'succeeded', commitMessage: HOSTILE, trigger: { kind: 'manual', actor: `eve${ESC}[8m` } });
    fake.on('GET', '/api/apps/shop/environments/dev/deployments?limit=20', { status: 200, body: { items: [hostile] } });
    const result = await trellis(['history', 'shop', 'dev']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^\S+ +deploy +succeeded +aaaaaaa +\S+ +eve +red second line$/);
    for (const line of lines) expect(line).not.toMatch(CONTROL);
  });

  test('status and apps tables, a refusal\'s reason, an outcome line: each cleaned', async () => {
    const view = { ...appView(`shop${ESC}]0;x${ESC}\\`, ['dev']), repository: `acme/shop\n${ESC}[2J` };
    fake.on('GET', '/api/apps', { status: 200, body: { items: [view] } });
    const apps = await trellis(['apps']);
    expect([apps.code, apps.stdout.split('\n')[1]]).toEqual([0, expect.stringMatching(/^shop +acme\/shop +dev$/)]);
    const status = await trellis(['status']);
    expect(status.stdout.split('\n')[1]).toMatch(/^shop\/dev +- +- +- +- +-$/);

    fake.on('POST', '/api/apps/shop/environments/dev/deploy', { status: 409, body: { error: 'conflict', reason: `busy ${ESC}[31mnow${ESC}]52;c;bWFsaWNl${ESC}\\\nreally` } });
    const refused = await trellis(['deploy', 'shop', 'dev']);
    expect([refused.code, refused.stderr]).toEqual([1, 'trellis: busy now; really\n']);

    fake.on('POST', '/api/apps/shop/environments/dev/deploy', { status: 202, body: deployment({ status: 'failed', reason: HOSTILE, environment: `dev${ESC}[2J` }) });
    const queued = await trellis(['deploy', 'shop', 'dev']);
    expect(queued.stdout).toBe(`failed shop/dev deploy aaaaaaa: ${fake.url}/#/deployments/${ID}\n`);
  });

  test('--wait: the phase lines and the final line are cleaned too', async () => {
    const running = deployment({ status: 'running', phases: [{ phase: `te${ESC}[2Jst`, outcome: 'running', startedAt: '2026-03-01T12:00:01.000Z' }] } as Partial<Deployment>);
    fake.on('POST', '/api/apps/shop/environments/dev/deploy', { status: 202, body: deployment() });
    fake.on('GET', `/api/deployments/${ID}`, { status: 200, body: { ...running, status: 'failed', reason: HOSTILE } });
    const result = await trellis(['deploy', 'shop', 'dev', '--wait']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('==> test\n');
    expect(result.stderr).toBe('trellis: shop/dev deploy aaaaaaa failed: red second line\n');
  });
});

describe('names are checked before any call, with core\'s rules', () => {
  test('., .., empty, encoded and huge names: exit 2 echoing the name as typed and the rule; nothing sent', async () => {
    const huge = 'a'.repeat(100_000);
    for (const [args, message] of [
      [['status', '..'], "application '..' must be 1-40 lowercase letters, digits or single hyphens"],
      [['history', 'shop', '.'], "environment '.' must be 1-32 lowercase letters, digits or single hyphens"],
      [['history', '', 'dev'], "application '' must be 1-40"],
      [['deploy', 'shop', '..'], "environment '..' must be 1-32"],
      [['deploy', '../shop', 'dev'], "application '../shop' must be 1-40"],
      [['deploy', 'shop', 'dév'], "environment 'dév' must be 1-32"],
      [['deploy', huge, 'dev'], `application '${'a'.repeat(80)}...' must be 1-40`],
      [['deploy', 'shop', 'dev', '--branch', 'b'.repeat(100_000)], "--branch: branch 'bbbbbbbbbb"],
      [['deploy', 'shop', 'dev', '--branch', 'a b'], "--branch: branch 'a b' contains a space"],
      [['promote', 'shop', 'dev', '..'], "<to> '..' must be 1-32"],
      [['teardown', 'shop', '..', '--confirm', '..'], "environment '..' must be 1-32"],
      [['cancel', '.'], "deployment '.' is not a deployment id: one looks like 20261206T040034566Z-3b6eb038 (trellis history lists them)"],
      [['cancel', 'nope'], "deployment 'nope' is not a deployment id"],
      [['rollback', 'shop', 'dev', '--to', 'nope'], "--to 'nope' is not a deployment id"],
      [['logs', '../dev'], "application '..' must be 1-40"],
      [['logs', 'shop/..'], "environment '..' must be 1-32"],
      [['tokens', 'revoke', '..'], "the token to revoke '..' is not a token id"],
    ] as const) {
      const result = await trellis(args);
      expect([args.join(' ').slice(0, 60), result.code, result.stderr]).toEqual([args.join(' ').slice(0, 60), 2, expect.stringContaining(`trellis: ${message}`)]);
      expect(result.stderr.length).toBeLessThan(600);
    }
    expect(fake.apiCalls).toEqual([]);
  });

  test('core\'s client refuses \'\', . and .. as a path segment (whatever client forgot to check)', async () => {
    const sent: string[] = [];
    class Recording extends ControlApiCalls {
      protected async call<T>(method: ApiMethod, path: string): Promise<T> {
        sent.push(`${method} ${path}`);
        return undefined as T;
      }
    }
    const calls = new Recording();
    for (const segment of ['', '.', '..']) {
      await expect(calls.app(segment)).rejects.toThrow(`'${segment}' cannot name an application, environment, deployment or token`);
      await expect(calls.deploy('shop', segment)).rejects.toThrow('cannot name');
      await expect(calls.cancel(segment)).rejects.toThrow('cannot name');
      await expect(calls.revokeToken(segment)).rejects.toThrow('cannot name');
    }
    await calls.app('...');
    await calls.app('a/b');
    expect(sent).toEqual(['GET /api/apps/...', 'GET /api/apps/a%2Fb']);
  });

  test('tokens create: a bad --app is named alone (not the default name made from it); a bad --name exits 2', async () => {
    const app = await trellis(['tokens', 'create', '--role', 'viewer', '--app', '../x']);
    expect([app.code, app.stderr]).toEqual([2, expect.stringContaining("trellis: --app '../x' must be 1-40")]);
    expect(app.stderr).not.toContain('--name');
    const name = await trellis(['tokens', 'create', '--role', 'viewer', '--app', 'shop', '--name', 'a b']);
    expect([name.code, name.stderr]).toEqual([2, expect.stringContaining("trellis: --name 'a b' must be 1-64 letters, digits, dots, underscores or hyphens")]);
    expect(fake.apiCalls).toEqual([]);

    fake.on('POST', '/api/tokens', ({ body }) => ({ status: 201, body: { ...(body as object), id: 'abcdefghijkl', application: '*', token: 'trellis_abcdefghijkl_x', createdBy: 'admin', createdAt: '', expiresAt: '' } }));
    const all = await trellis(['tokens', 'create', '--role', 'admin', '--app', '*']);
    expect(all.code).toBe(0);
    expect(fake.requests.at(-1)?.body).toEqual({ name: 'admin-all', role: 'admin', application: '*' });
  });

  test('tokens create without --app: exit 2, nothing made (every application is asked for by name, --app \'*\')', async () => {
    const result = await trellis(['tokens', 'create', '--role', 'viewer']);
    expect([result.code, result.stderr]).toEqual([2, "trellis: required option '--app <app>' not specified\nsee `trellis tokens create --help`\n"]);
    expect(fake.apiCalls).toEqual([]);
  });
});

describe('exit codes as `trellis --help` states them', () => {
  test('login without --url or TRELLIS_URL: 2, naming --url; empty stdin: 2', async () => {
    const bare = await runTrellis(['login', '--user', 'admin', '--password-stdin'], { stdin: 'secret' });
    expect([bare.code, bare.stderr]).toEqual([2, expect.stringContaining('trellis: trellis login needs --url <dashboard url> (or TRELLIS_URL)')]);
    const empty = await runTrellis(['login', '--url', fake.url, '--user', 'admin', '--password-stdin'], { stdin: '' });
    expect([empty.code, empty.stderr]).toEqual([2, expect.stringContaining('trellis: no password on stdin')]);
    expect(fake.requests).toEqual([]);
  });

  test('logout exits 0 whether or not there was a sign-in to forget', async () => {
    const none = await runTrellis(['logout']);
    expect([none.code, none.stdout]).toEqual([0, 'Not signed in to any installation: nothing to forget.\n']);
    const other = await runTrellis(['logout', '--url', fake.url]);
    expect([other.code, other.stdout]).toEqual([0, `Not signed in to ${fake.url}: nothing to forget.\n`]);
  });

  test('after logout of the current installation, none is the default: the commands name those still signed in (exit 2)', async () => {
    const configDir = mkdtempSync(join(tmpdir(), 'trellis-config-'));
    const store = new CredentialStore(configDir);
    store.save({ url: fake.url, apiUrl: fake.url, webSocketUrl: fake.url.replace('http', 'ws'), token: 'stored-a' });
    store.save({ url: 'https://b.example', apiUrl: 'https://b.example/api', webSocketUrl: 'wss://b.example', token: 'stored-b' });
    const signedIn = { env: { TRELLIS_CONFIG_DIR: configDir } };

    const logout = await runTrellis(['logout'], signedIn);
    expect([logout.code, logout.stdout]).toEqual([0, `Signed out of https://b.example.\nStill signed in to ${fake.url}; pass --url <url> to use one (\`trellis login --url <url>\` makes it the default).\n`]);
    const apps = await runTrellis(['apps'], signedIn);
    expect([apps.code, apps.stderr.split('\n')[0]]).toEqual([2, `trellis: no installation chosen: signed in to ${fake.url}; pass --url <url> to use one (\`trellis login --url <url>\` makes it the default)`]);
    const again = await runTrellis(['logout'], signedIn);
    expect([again.code, again.stdout]).toEqual([0, expect.stringMatching(/^No installation chosen: signed in to http:\/\/127\.0\.0\.1:\d+; pass --url/)]);
    expect(fake.apiCalls).toEqual([]);

    fake.on('GET', '/api/apps', { status: 200, body: { items: [] } });
    const named = await runTrellis(['apps', '--url', fake.url], signedIn);
    expect([named.code, named.stdout]).toEqual([0, 'No applications.\n']);
  });

  test('TRELLIS_TOKEN without TRELLIS_URL or --url: exit 2 asking which installation, even with a current sign-in (the token is never sent to a guess)', async () => {
    const configDir = mkdtempSync(join(tmpdir(), 'trellis-config-'));
    new CredentialStore(configDir).save({ url: fake.url, apiUrl: fake.url, webSocketUrl: fake.url.replace('http', 'ws'), token: 'stored' });
    for (const configured of [{}, { TRELLIS_CONFIG_DIR: configDir }]) {
      const result = await runTrellis(['apps'], { env: { TRELLIS_TOKEN: env.TRELLIS_TOKEN, ...configured } });
      expect([result.code, result.stderr.split('\n')[0]]).toEqual([2, 'trellis: TRELLIS_TOKEN is set, but which installation? set TRELLIS_URL or pass --url']);
    }
    expect(fake.requests).toEqual([]);
    fake.on('GET', '/api/apps', { status: 200, body: { items: [] } });
    expect((await runTrellis(['apps', '--url', fake.url], { env: { TRELLIS_TOKEN: env.TRELLIS_TOKEN } })).code).toBe(0);
  });

  test('a usage error prints the reason and where the help is, not the whole help', async () => {
    for (const [args, where] of [
      [['deploy', 'shop'], 'trellis deploy'],
      [['tokens', 'create', '--role', 'owner'], 'trellis tokens create'],
      [['frobnicate'], 'trellis'],
      [['cancel', 'nope'], 'trellis cancel'],
    ] as const) {
      const result = await trellis(args);
      expect(result.code).toBe(2);
      expect(result.stderr.split('\n')).toEqual([expect.stringMatching(/^trellis: /), `see \`${where} --help\``, '']);
    }
  });
});

describe('cancel', () => {
  test('a deployment that had already ended otherwise: exit 1 saying so, with or without --wait (no replay)', async () => {
    fake.on('POST', `/api/deployments/${ID}/cancel`, { status: 200, body: deployment({ status: 'succeeded', phases: [{ phase: 'test', outcome: 'succeeded', startedAt: '2026-03-01T12:00:01.000Z' }] }) });
    for (const args of [['cancel', ID], ['cancel', ID, '--wait']]) {
      const result = await trellis(args);
      expect([result.code, result.stdout, result.stderr]).toEqual([1, '', `trellis: ${ID} had already succeeded: nothing to cancel\n`]);
    }
    expect(fake.apiCalls).toEqual([`POST /api/deployments/${ID}/cancel`, `POST /api/deployments/${ID}/cancel`]);
  });

  test('already cancelled: exit 0; --wait on a running one follows it to cancelled', async () => {
    fake.on('POST', `/api/deployments/${ID}/cancel`, { status: 200, body: deployment({ status: 'cancelled' }) });
    const done = await trellis(['cancel', ID, '--wait']);
    expect([done.code, done.stdout]).toEqual([0, expect.stringMatching(/^cancelled shop\/dev deploy aaaaaaa/)]);

    fake.on('POST', `/api/deployments/${ID}/cancel`, { status: 200, body: deployment({ status: 'running' }) });
    fake.on('GET', `/api/deployments/${ID}`, { status: 200, body: deployment({ status: 'cancelled' }) });
    const followed = await trellis(['cancel', ID, '--wait']);
    expect([followed.code, followed.stdout]).toEqual([0, expect.stringContaining('shop/dev deploy aaaaaaa cancelled')]);
  });
});

describe('--json', () => {
  test('on an error stdout stays empty and the reason goes to stderr; cancel --json of a finished deployment prints it and exits 1', async () => {
    fake.on('POST', '/api/apps/shop/environments/dev/deploy', { status: 409, body: { error: 'conflict', reason: 'busy' } });
    const refused = await trellis(['deploy', 'shop', 'dev', '--json']);
    expect(refused).toEqual({ code: 1, stdout: '', stderr: 'trellis: busy\n' });

    fake.on('POST', `/api/deployments/${ID}/cancel`, { status: 200, body: deployment({ status: 'succeeded' }) });
    const cancel = await trellis(['cancel', ID, '--json']);
    expect([cancel.code, JSON.parse(cancel.stdout).status, cancel.stderr]).toEqual([1, 'succeeded', `trellis: ${ID} had already succeeded: nothing to cancel\n`]);

    const help = (await runTrellis(['--help'])).stdout;
    expect(help).toContain('On an error it stays empty and the reason goes to stderr');
    expect(help).toContain('`cancel --json` of a deployment that had already ended prints it, and exits 1.');
  });

  test('history pages with --cursor, the cursor of the previous page\'s answer; without --json the next page\'s command goes to stderr', async () => {
    const history = '/api/apps/shop/environments/dev/deployments';
    fake.on('GET', `${history}?limit=1`, { status: 200, body: { items: [deployment({ status: 'succeeded' })], cursor: 'eyJwayI6IngifQ' } });
    fake.on('GET', `${history}?limit=1&cursor=eyJwayI6IngifQ`, { status: 200, body: { items: [deployment({ id: depId(6), status: 'failed' })] } });
    const first = await trellis(['history', 'shop', 'dev', '--limit', '1', '--json']);
    const { cursor } = JSON.parse(first.stdout);
    const second = await trellis(['history', 'shop', 'dev', '--limit', '1', '--json', '--cursor', cursor]);
    expect([second.code, JSON.parse(second.stdout)]).toEqual([0, { items: [expect.objectContaining({ id: depId(6) })] }]);

    const human = await trellis(['history', 'shop', 'dev', '--limit', '1']);
    expect([human.stdout.split('\n')[1], human.stderr]).toEqual([expect.stringMatching(new RegExp(`^${ID} `)), 'More: trellis history shop dev --limit 1 --cursor eyJwayI6IngifQ\n']);
    expect((await trellis(['history', 'shop', 'dev', '--limit', '1', '--cursor', 'eyJwayI6IngifQ'])).stderr).toBe('');

    const empty = await trellis(['history', 'shop', 'dev', '--cursor', '']);
    expect([empty.code, empty.stderr]).toEqual([2, expect.stringContaining("trellis: --cursor must be the `cursor` of the previous page's --json answer, got ''")]);
    expect((await runTrellis(['history', '--help'])).stdout).toContain('--cursor <cursor>');
  });
});

describe('what a refusal says', () => {
  test('the API\'s body fields are named as the command\'s options', async () => {
    fake.on('POST', '/api/apps/shop/environments/dev/rollback', { status: 400, body: { error: 'invalid_input', reason: 'deploymentId: deployed commit aaaaaaaaaaaa, which is the current version already' } });
    const rollback = await trellis(['rollback', 'shop', 'dev', '--to', ID]);
    expect([rollback.code, rollback.stderr]).toEqual([1, 'trellis: --to: deployed commit aaaaaaaaaaaa, which is the current version already\n']);

    fake.on('POST', '/api/apps/shop/environments/dev/deploy', { status: 400, body: { error: 'invalid_input', reason: 'branch: no branch feature/x in acme/shop' } });
    const deploy = await trellis(['deploy', 'shop', 'dev', '--branch', 'feature/x']);
    expect(deploy.stderr).toBe('trellis: --branch: no branch feature/x in acme/shop\n');

    fake.on('POST', '/api/tokens', { status: 400, body: { error: 'invalid_input', reason: 'expiresInDays: must be a whole number of days from 1 to 365\napplication: x' } });
    const token = await trellis(['tokens', 'create', '--role', 'viewer', '--app', 'shop', '--expires', '30']);
    expect(token.stderr).toBe('trellis: --expires: must be a whole number of days from 1 to 365; --app: x\n');
  });

  test('a field whose option was not typed is not blamed on it: the API\'s words without the field', async () => {
    fake.on('POST', '/api/apps/shop/environments/staging/deploy', { status: 400, body: { error: 'invalid_input', reason: 'branch: shop/staging tracks no branch: promote to it, name a branch or commit' } });
    const deploy = await trellis(['deploy', 'shop', 'staging']);
    expect([deploy.code, deploy.stderr]).toEqual([1, 'trellis: shop/staging tracks no branch: promote to it, name a branch or commit\n']);

    fake.on('POST', '/api/tokens', { status: 400, body: { error: 'invalid_input', reason: 'name: taken\nexpiresInDays: too long' } });
    const token = await trellis(['tokens', 'create', '--role', 'viewer', '--app', 'shop']);
    expect(token.stderr).toBe('trellis: taken; too long\n');
  });

  test('deploy to an unknown application points to `trellis apps`; to an unknown environment, lists the application\'s', async () => {
    fake.on('GET', '/api/apps/nope', { status: 404, body: { error: 'not_found', reason: 'application nope does not exist' } });
    const app = await trellis(['deploy', 'nope', 'dev']);
    expect([app.code, app.stderr]).toEqual([1, 'trellis: application nope does not exist (trellis apps lists them)\n']);
    fake.on('GET', '/api/apps/shop', { status: 200, body: appView('shop', ['dev', 'staging']) });
    const env_ = await trellis(['deploy', 'shop', 'nope']);
    expect([env_.code, env_.stderr]).toEqual([1, 'trellis: shop has no environment nope (it has dev, staging)\n']);
    // The 404 was about something else: its own reason.
    fake.on('POST', '/api/apps/shop/environments/dev/deploy', { status: 404, body: { error: 'not_found', reason: 'commit abc not found' } });
    expect((await trellis(['deploy', 'shop', 'dev'])).stderr).toBe('trellis: commit abc not found\n');
  });

  test('403 with TRELLIS_TOKEN says so', async () => {
    fake.on('GET', '/api/apps', { status: 403, body: { error: 'forbidden', reason: 'listing needs the viewer role' } });
    const result = await trellis(['apps']);
    expect([result.code, result.stderr]).toEqual([3, 'trellis: not allowed (with TRELLIS_TOKEN): listing needs the viewer role\n']);
  });
});

describe('following a deployment', () => {
  test('Ctrl-C during --wait says the deployment goes on and how to pick it up', async () => {
    fake.on('POST', '/api/apps/shop/environments/dev/deploy', { status: 202, body: deployment() });
    let interrupt: (() => void) | undefined;
    fake.on('GET', `/api/deployments/${ID}`, () => {
      // The first poll: Ctrl-C now; then it ends, so the in-process run returns.
      interrupt?.();
      interrupt = undefined;
      return { status: 200, body: deployment({ status: 'succeeded' }) };
    });
    const result = await trellis(['deploy', 'shop', 'dev', '--wait'], { onInterrupt: say => { interrupt = say; } });
    expect(result.stderr).toBe(`\nstopped following: the deployment goes on; follow it with \`trellis logs ${ID} --follow\`, or \`trellis cancel ${ID}\`\n`);
  });

  test('the API gone during --wait: the outcome is unknown, and where to look later', async () => {
    const { url } = fake;
    await fake.close();
    const client = new ApiClient({ url, apiUrl: url, webSocketUrl: '', token: 't', tokenSource: 'credentials' });
    const error = await waitForDeployment(client, deployment(), () => undefined, { firstIntervalMs: 1, maxFailedPolls: 2 }).catch(caught => caught);
    expect(error).toBeInstanceOf(CliError);
    expect(error.exitCode).toBe(EXIT.failed);
    expect(error.message).toContain(`cannot reach ${url} (GET /api/deployments/${ID}): ECONNREFUSED; check --url / TRELLIS_URL and that the installation is up`);
    expect(error.message).toContain(`Gave up following ${ID}: its outcome is unknown. Look later with \`trellis logs ${ID}\` or \`trellis history shop dev\`.`);
    fake = await FakeInstallation.start();
  });
});

describe('help and version', () => {
  test('--version and -V print the package\'s version; `trellis help <command>` is the command\'s help', async () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
    for (const flag of ['--version', '-V']) expect(await runTrellis([flag])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    const help = await runTrellis(['help', 'deploy']);
    expect([help.code, help.stdout]).toEqual([0, expect.stringContaining('Usage: trellis deploy [options] <app> <env>')]);
    const tokens = await runTrellis(['tokens', 'help', 'create']);
    expect([tokens.code, tokens.stdout]).toEqual([0, expect.stringContaining('--role <role>')]);
  });

  test('the texts: logs among the actions, lowercase token summaries, examples, required --role, cancel\'s own --wait', async () => {
    const root = (await runTrellis(['--help'])).stdout;
    const order = ['cancel', 'logs', 'tokens', 'local', 'push'].map(name => root.search(new RegExp(`^ {2}${name} `, 'm')));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(order[0]).toBeGreaterThan(0);
    expect(root).toContain('TRELLIS_CONFIG_DIR  the directory whose trellis/credentials.json keeps sign-ins');

    const tokens = (await runTrellis(['tokens', '--help'])).stdout;
    for (const summary of ['create a token, printed once', 'the tokens of the applications you administer', 'revoke a token at once']) expect(tokens).toContain(summary);
    const create = (await runTrellis(['tokens', 'create', '--help'])).stdout;
    // One parenthesis per option: "required" joins commander's own notes.
    expect(create).toMatch(/--role <role> +what it may do \(required; choices: "viewer", "deployer",\s+"admin"\)\n/);
    expect(create).toMatch(/--app <app> +the one application it works on, or '\*',[^()]*\(required\)\n/);
    expect(create).not.toMatch(/\) \(/);
    expect((await runTrellis(['teardown', '--help'])).stdout).toMatch(/--confirm <env> +the environment's name, typed again \(required\)\n/);
    expect(create).toContain('90d, or 90');
    for (const command of ['list', 'revoke']) expect((await runTrellis(['tokens', command, '--help'])).stdout).toContain(`Examples:\n  trellis tokens ${command}`);

    const cancel = (await runTrellis(['cancel', '--help'])).stdout;
    expect(cancel).not.toContain('exit 0 when it succeeded');
    expect(cancel).toContain('trellis cancel 20261206T040034566Z-3b6eb038 --wait');
    expect((await runTrellis(['rollback', '--help'])).stdout).toContain('--to 20261206T040034566Z-3b6eb038');
    expect((await runTrellis(['deploy', '--help'])).stdout).toMatch(/--commit [0-9a-f]{40} --json/);
  });
});
