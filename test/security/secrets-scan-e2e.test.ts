import { execFile, execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join, relative } from 'path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ECSClient, RunTaskCommand, RunTaskCommandInput } from '@aws-sdk/client-ecs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { recordFinding } from './support/findings';
import { Secret, SecretScanner } from './support/secret-scan';
import { BUILD_INGEST_TOKEN, BUILD_PARAMETERS, BUILD_SETTINGS } from '../../src/contract/build-environment';
import { secretNames } from '../../src/contract/secret-names';
import { DataDir } from '../../src/local/data-dir';
import { localClientConfig } from '../../src/local/dynamodb-local';
import { FileSecretSource } from '../../src/local/file-secret-source';
import { LOCAL_BUILD_SETTINGS } from '../../src/local/local-build-settings';
import { LOCAL_GIT_IDENTITY } from '../../src/local/local-mode';
import { ROUTES } from '../../src/runtime/api/routes';
import { EcsTaskRunner } from '../../src/runtime/aws/ecs-task-runner';
import { parseApiToken } from '../../src/runtime/core/api-tokens';
import { CreateApiTokenBody, CreatedApiToken } from '../../src/runtime/core/api-types';
import { secretDigest } from '../../src/runtime/core/secret-digest';
import { Deployment } from '../../src/runtime/core/types';
import { taskRequest } from '../../src/runtime/deployments/launch';
import { createDynamoStore } from '../../src/runtime/store/dynamo-store';
import { tableContext } from '../../src/runtime/store/table-context';
import { processAlive } from '../local/local-fixtures';
import { TrellisProcess, bundleTrellis, descendantsOf } from '../local/support/trellis-process';
import { TestClient } from '../logs/socket-client';
import { eventually } from '../support/eventually';

/**
 * The secrets scan, end to end: `trellis local` for real, an app whose install
 * script, tests, deploy and remove print every secret of its environment (and the GitHub
 * token's base64 forms, and credentials it "fetched itself") in each form masking claims to
 * handle. Then no secret value, in any encoding, may be found in: any stored item of the
 * table (log records included) or the log read through the store, any body the API
 * answered during the run (every GET route, settings writes, actions), the WebSocket's
 * live-log messages, the server's files (server.log, builder output) and terminal, or the
 * builder's own environment and argv. ECS's task overrides are checked on EcsTaskRunner.
 * API tokens made during the run (through the API and `trellis tokens create`; used for reads, a
 * deploy and the live log; two revoked) are secrets too: their full text and secret part may
 * appear only in the answer that created them (the create command's stdout, for the command's).
 *
 * The tests share one server and run in order: the builds first, then one scan per place.
 */

const APP = 'leaky-app';
const ENV = 'dev';
const FIXTURE = join(__dirname, 'fixtures', 'leaky-app');
const ITEM = 'secrets scan';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
/** `length` random letters and digits (the alphabet of GitHub's tokens). */
const alphanumeric = (length: number) => {
  let text = '';
  while (text.length < length) text += randomBytes(length).toString('base64').replace(/[^A-Za-z0-9]/g, '');
  return text.slice(0, length);
};

/** Distinctive per run, so a hit can only be a leak of this run. */
const GITHUB_TOKEN = `ghp_${alphanumeric(36)}`;
const SECRETS: readonly Secret[] = [
  { name: 'SNTL_PLAIN', value: `sntl-plain-${hex(12)}` },
  // Its JSON-escaped and URL-encoded forms differ from the plain one.
  { name: 'SNTL_QUOTED', value: `sntl"q\\${hex(6)} &=+/%${hex(6)}` },
  // The same value as the installation's GitHub token (as users often do), so its base64 forms are masked too.
  { name: 'GH_TOKEN', value: GITHUB_TOKEN },
  // Shaped like an AWS secret access key: 40 characters of [A-Za-z0-9+/].
  { name: 'DEPLOY_AWS_SECRET_KEY', value: randomBytes(30).toString('base64') },
  { name: 'SNTL_MULTILINE', value: `-----BEGIN SNTL ${hex(4)}-----\n${hex(16)}\n  ${hex(16)}\n-----END SNTL ${hex(4)}-----` },
];
/** Credentials the builder never sees: the app reads them from a file of its repository; only the ingest patterns can mask them. */
const UNREGISTERED = { githubToken: `ghp_${alphanumeric(36)}`, awsSecretAccessKey: randomBytes(30).toString('base64') };
const EVERY_VALUE: readonly Secret[] = [
  ...SECRETS,
  { name: 'github-token', value: GITHUB_TOKEN },
  { name: 'unregistered GitHub token', value: UNREGISTERED.githubToken },
  { name: 'unregistered AWS secret key', value: UNREGISTERED.awsSecretAccessKey },
];

interface RecordedResponse {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly body: string;
}

/** The control API as the dashboard calls it, keeping every response body for the scan. */
class RecordingApi {
  constructor(private readonly trellis: TrellisProcess, readonly responses: RecordedResponse[] = [], private token?: string) {}

  /** The same API called with an API token instead of the admin's sign-in; its answers are recorded with the rest. */
  withToken(token: string): RecordingApi {
    return new RecordingApi(this.trellis, this.responses, token);
  }

  async signIn(): Promise<string> {
    if (this.token) return this.token;
    const { body } = await this.send('POST', '/auth/local/sign-in', { user: 'admin', password: this.trellis.adminPassword }, false);
    this.token = (JSON.parse(body) as { token: string }).token;
    return this.token;
  }

  /** Call and parse; throws unless the status is `expected`. */
  async call(method: string, path: string, body?: unknown, expected = 200): Promise<any> {
    const response = await this.send(method, path, body, true);
    if (response.status !== expected) throw new Error(`${method} ${path} answered ${response.status}, not ${expected}: ${response.body}`);
    return response.body ? JSON.parse(response.body) : undefined;
  }

  /** Call for a text answer (JSON lines); throws unless the status is `expected`. */
  async text(method: string, path: string, expected = 200): Promise<string> {
    const response = await this.send(method, path, undefined, true);
    if (response.status !== expected) throw new Error(`${method} ${path} answered ${response.status}, not ${expected}: ${response.body}`);
    return response.body;
  }

  /** A redirect the browser follows (GitHub's callbacks): its Location. */
  async redirect(path: string): Promise<URL> {
    const response = await this.send('GET', path, undefined, false);
    if (response.status !== 302) throw new Error(`GET ${path} answered ${response.status}, not 302: ${response.body}`);
    return new URL(/Location: (\S+)$/.exec(response.body)![1]);
  }

  private async send(method: string, path: string, body: unknown, signedIn: boolean): Promise<RecordedResponse> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (signedIn) headers.authorization = `Bearer ${await this.signIn()}`;
    const response = await fetch(`${this.trellis.info.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      // A redirect is an answer too (GitHub's callbacks): kept with its Location, which is scanned.
      redirect: 'manual',
    });
    const location = response.headers.get('location');
    const recorded = { method, path, status: response.status, body: `${await response.text()}${location ? `\nLocation: ${location}` : ''}` };
    this.responses.push(recorded);
    return recorded;
  }
}

let cli: string | undefined;
let dataDir: string | undefined;
let repoDir: string | undefined;
let configDir: string | undefined;
let trellis: TrellisProcess;
let api: RecordingApi;
let live: TestClient | undefined;
/** The live log as a pipeline follows it: connected with an API token. */
let tokenLive: TestClient | undefined;
/** The token a pipeline deploys with (kept to the end), and the API called with it. */
let deployToken: CreatedApiToken;
let tokenApi: RecordingApi;
/** What was read from each builder's process while it ran (the first build's, the token's deploy's). */
const builders: Array<{ readonly deploymentId: string; readonly environ: Record<string, string>; readonly argv: string[] }> = [];
const deploymentIds: string[] = [];
/** The GitHub App's secrets, once the setup page's flow made it: scanned for like every other. */
const appSecrets: Secret[] = [];
/** Each API token made in the run: its full text and its secret part. */
const apiTokenSecrets: Secret[] = [];
/** The answers that created them: the one place a token may be shown. */
const tokenCreateAnswers = new Set<RecordedResponse>();
/** What the `trellis` command printed, but the stdout of the `tokens create` that made a token. */
const commandOutputs: Array<{ readonly source: string; readonly text: string }> = [];
const everyValue = (): readonly Secret[] => [...EVERY_VALUE, ...appSecrets, ...apiTokenSecrets];

const releaseFile = () => join(dataDir!, 'release-deploy');
const settings = (body: unknown, expected = 200) => api.call('PUT', `/api/apps/${APP}/environments/${ENV}/settings`, body, expected);

/** The app's repository: the fixture, its unregistered credentials, one commit on main. */
function makeRepository(): string {
  const repo = mkdtempSync(join(tmpdir(), 'trellis-leaky-repo-'));
  cpSync(FIXTURE, repo, { recursive: true });
  writeFileSync(join(repo, 'unregistered.json'), JSON.stringify(UNREGISTERED));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe', env: { ...process.env, ...LOCAL_GIT_IDENTITY } });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'A leaky app');
  return repo;
}

function writeConfig(repo: string): string {
  configDir = mkdtempSync(join(tmpdir(), 'trellis-leaky-config-'));
  const file = join(configDir, 'config.json');
  writeFileSync(file, JSON.stringify({
    applications: [{
      name: APP,
      repository: repo,
      environments: [{
        kind: 'development',
        name: ENV,
        branch: 'main',
        testCommand: ['npm', 'run', 'test'],
        variables: {
          LEAKY_SECRET_NAMES: SECRETS.map(secret => secret.name).join(','),
          LEAKY_TOKEN_NAMES: 'GH_TOKEN',
          LEAKY_RELEASE_FILE: '{dataDir}/release-deploy',
        },
        framework: { kind: 'custom', deploy: ['npm', 'run', 'deploy'], remove: ['npm', 'run', 'remove'] },
      }],
      // Previews configured: the switch's answer (PUT .../previews) is scanned too.
      previews: { from: ENV },
    }],
  }));
  return file;
}

async function statusOf(id: string, status: string, timeoutMs = 120_000): Promise<any> {
  return eventually(`deployment ${id} to be ${status}`, async () => {
    const current = await api.call('GET', `/api/deployments/${encodeURIComponent(id)}`);
    if (current.status === status) return current;
    if (['succeeded', 'failed', 'cancelled', 'superseded'].includes(current.status)) {
      throw new Error(`deployment ${id} ended ${current.status}, not ${status}: ${JSON.stringify(current)}`);
    }
    return undefined;
  }, timeoutMs, 500);
}

/** Every record of a deployment's log through the API, page by page (small pages: the paging is exercised too). */
async function apiLog(id: string): Promise<Array<{ seq: number; text: string }>> {
  const records: Array<{ seq: number; text: string }> = [];
  let from = 0;
  for (let page = 0; page < 1000; page++) {
    const body = await api.call('GET', `/api/deployments/${encodeURIComponent(id)}/logs?from=${from}&limit=200`);
    records.push(...body.records);
    if (body.end) return records;
    from = body.next;
  }
  throw new Error(`the log of ${id} did not end`);
}

/** `{ NAME: value }` of a process's environment, from /proc (Linux; same user). */
function environOf(pid: number): Record<string, string> {
  return Object.fromEntries(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean).map(entry => {
    const at = entry.indexOf('=');
    return [entry.slice(0, at), entry.slice(at + 1)];
  }));
}

/** A process's argv, from /proc; empty when it ended meanwhile. */
function argvOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** DynamoDB Local's endpoint, from its Java command line (`-port N`). */
function dynamoEndpoint(): string {
  const argv = argvOf(trellis.info.dynamodbPid!);
  return `http://127.0.0.1:${argv[argv.indexOf('-port') + 1]}`;
}

/** The running builder's environment and argv (read while its deploy holds): the task's parameters. */
function captureBuilder(deploymentId: string): void {
  const builder = descendantsOf(trellis.child.pid!).find(pid => argvOf(pid).some(arg => arg.endsWith('builder.js')));
  expect(builder).toBeDefined();
  builders.push({ deploymentId, environ: environOf(builder!), argv: argvOf(builder!) });
}

/** A token's full text and its secret part (the 43 characters after `trellis_<id>_`), to scan for from now on. */
function scanForToken(name: string, token: string): void {
  const parts = parseApiToken(token);
  expect(parts?.secret).toHaveLength(43);
  apiTokenSecrets.push({ name: `API token ${name}`, value: token }, { name: `API token ${name}'s secret`, value: parts!.secret });
}

/** An API token made by the admin through POST /api/tokens; its answer is set apart as the one allowed to show it. */
async function createApiToken(body: CreateApiTokenBody): Promise<CreatedApiToken> {
  const created = await api.call('POST', '/api/tokens', body, 201) as CreatedApiToken;
  const answer = api.responses[api.responses.length - 1];
  expect({ method: answer.method, path: answer.path, shown: answer.body.includes(created.token) }).toEqual({ method: 'POST', path: '/api/tokens', shown: true });
  tokenCreateAnswers.add(answer);
  scanForToken(created.name, created.token);
  return created;
}

/**
 * `trellis <args>` as a pipeline runs it: the bundled command with the admin's sign-in in
 * TRELLIS_TOKEN and a config directory of its own. Its stderr is kept for the scan; so is its
 * stdout, unless `showsToken` (the create that prints the token it made).
 */
async function runTrellis(args: string[], showsToken = false): Promise<string> {
  const adminToken = await api.signIn();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [cli!, ...args, '--url', trellis.info.url], {
      env: { ...process.env, TRELLIS_TOKEN: adminToken, TRELLIS_CONFIG_DIR: join(configDir!, 'trellis-command') },
      encoding: 'utf8',
    }, (error, stdout, stderr) => {
      const command = `trellis ${args.join(' ')}`;
      commandOutputs.push({ source: `${command}: stderr`, text: stderr });
      if (!showsToken) commandOutputs.push({ source: `${command}: stdout`, text: stdout });
      return error ? reject(new Error(`${command} failed: ${stderr}${stdout}`)) : resolve(stdout);
    });
  });
}

/** Files under `dir`, recursively, except the names in `skip` (relative paths). */
function filesIn(dir: string, skip: readonly string[]): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter(entry => !skip.some(skipped => entry === skipped || entry.startsWith(`${skipped}/`)))
    .map(entry => join(dir, entry))
    .filter(file => statSync(file).isFile());
}

/** Assert no hit; hits also go to the summary, one finding per place (which values, which forms, the first one). */
function expectNoSecrets(scanner: SecretScanner, place: string): void {
  const report = scanner.report();
  if (report.length > 0) {
    const kinds = [...new Set(scanner.hits.map(hit => `${hit.secret} (${hit.form})`))].join(', ');
    recordFinding(ITEM, `${place}: ${report.length} hits of ${kinds}; first: ${report[0]}`);
  }
  expect(report).toEqual([]);
}

beforeAll(async () => {
  cli = bundleTrellis();
  dataDir = mkdtempSync(join(tmpdir(), 'trellis-secrets-scan-'));
  repoDir = makeRepository();
  // The installation's GitHub token, as a user would store it (local mode's Secrets Manager).
  await new FileSecretSource(join(dataDir, 'secrets.json')).put(secretNames.githubToken('local'), GITHUB_TOKEN);
  trellis = await TrellisProcess.start(cli, { dataDir, config: writeConfig(repoDir) });
  api = new RecordingApi(trellis);
}, 150_000);

afterAll(async () => {
  await live?.close().catch(() => undefined);
  await tokenLive?.close().catch(() => undefined);
  if (trellis && trellis.child.exitCode === null && trellis.child.signalCode === null) {
    const ours = [...new Set([...descendantsOf(trellis.child.pid!), ...trellis.seen])];
    await trellis.stop('SIGINT', 30_000).catch(() => {
      for (const pid of [trellis.child.pid!, ...ours]) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
    });
  }
  for (const dir of [dataDir, repoDir, configDir, cli && dirname(dirname(cli))]) if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** The stand-in's web page form `action` answers, posted as the browser would; its redirect's Location. */
async function submitForm(url: string, fields: Record<string, string> | URLSearchParams): Promise<URL> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
  expect({ url, status: response.status }).toEqual({ url, status: 302 });
  return new URL(response.headers.get('location')!);
}

/** The hidden fields of the first form on an HTML page. */
function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
    fields[match[1]] = match[2].replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
  }
  return fields;
}

/**
 * The GitHub routes, as an admin goes through them: the App made through the setup page's
 * manifest flow on the stand-in, installed, then a sign-in with GitHub. The App's secrets are
 * then scanned for everywhere else.
 */
async function connectGitHub(): Promise<void> {
  const standIn = trellis.info.github!.url;
  const form = await api.call('POST', '/api/github/manifest', {});
  const created = await submitForm(`${standIn}/settings/apps/create`, {
    manifest: JSON.stringify(form.manifest), state: new URL(form.action).searchParams.get('state')!, owner: 'local',
  });
  expect((await api.redirect(`${created.pathname}${created.search}`)).hash).toBe('#/setup?created=1');
  const setup = await api.call('GET', '/api/github');
  await submitForm(`${standIn}/apps/${setup.app.slug}/installations`, new URLSearchParams(
    Object.keys(trellis.info.github!.repositories).map((repository): [string, string] => ['repositories', repository])));
  expect((await api.call('GET', '/api/github')).repositories.length).toBeGreaterThan(0);
  await api.call('GET', '/api/github/deliveries');

  const authorize = await api.redirect(`/auth/github/sign-in?return=${encodeURIComponent(`${trellis.info.url}/`)}`);
  const page = await (await fetch(authorize)).text();
  const signedIn = await submitForm(`${standIn}/login/oauth/authorize`, hiddenFields(page));
  expect((await api.redirect(`${signedIn.pathname}${signedIn.search}`)).hash).toMatch(/^#token=/);
  await api.call('GET', '/auth/github/.well-known/jwks.json');
  await api.call('GET', '/auth/github/.well-known/openid-configuration');

  const stored = JSON.parse(readFileSync(join(dataDir!, 'secrets.json'), 'utf8')) as Record<string, string>;
  const app = JSON.parse(stored[secretNames.githubApp('local')]) as { privateKey: string; clientSecret: string };
  appSecrets.push(
    { name: 'GitHub App private key', value: app.privateKey },
    { name: 'GitHub App client secret', value: app.clientSecret },
    { name: 'GitHub App webhook secret', value: (JSON.parse(stored[secretNames.githubAppWebhook('local')]) as { secret: string }).secret },
    { name: 'session signing key', value: stored[secretNames.sessionSigningKey('local')] },
  );
}

describe('secrets scan, end to end in local mode', () => {
  test('an admin makes API tokens (one with `trellis tokens create`), lists them and revokes two; a pipeline reads and follows the live log with one', async () => {
    deployToken = await createApiToken({ name: 'ci-deploy', role: 'deployer', application: APP, expiresInDays: 7 });
    const reader = await createApiToken({ name: 'ci-read', role: 'viewer', application: APP });
    tokenApi = api.withToken(deployToken.token);
    const readerApi = api.withToken(reader.token);
    for (const caller of [tokenApi, readerApi]) expect((await caller.call('GET', '/api/apps')).items.map((app: { name: string }) => app.name)).toEqual([APP]);
    // No token mints tokens: the refusal is an answer to scan, too.
    await tokenApi.call('POST', '/api/tokens', { name: 'minted', role: 'viewer', application: APP }, 403);

    // One made as a pipeline's set-up script makes it: `trellis tokens create` prints it alone on stdout.
    const cliToken = (await runTrellis(['tokens', 'create', '--name', 'cli-made', '--role', 'viewer', '--app', APP], true)).trim();
    scanForToken('cli-made', cliToken);
    const cliApi = api.withToken(cliToken);
    expect((await cliApi.call('GET', '/api/apps')).items).toHaveLength(1);

    const listed = await api.call('GET', '/api/tokens');
    expect(listed.items.map((token: { name: string }) => token.name).sort()).toEqual(['ci-deploy', 'ci-read', 'cli-made']);
    expect(JSON.parse(await runTrellis(['tokens', 'list', '--json'])).items).toHaveLength(3);
    expect((await api.call('DELETE', `/api/tokens/${reader.id}`)).id).toBe(reader.id);
    // Given the whole token, the command sends only its id (the secret in no URL, so in no access log).
    expect(await runTrellis(['tokens', 'revoke', cliToken])).toMatch(/^Revoked token cli-made /);
    for (const revoked of [readerApi, cliApi]) await revoked.call('GET', '/api/apps', undefined, 401);

    // The deployer token follows the next deployments' live log (the failed deploy it starts below).
    tokenLive = await TestClient.connect(`${trellis.info.webSocketUrl}?token=${encodeURIComponent(deployToken.token)}`);
  }, 30_000);

  test('a build prints its secrets in install, test and deploy; the builder runs without them', async () => {
    // Settings writes: the secrets, and two refused changes that carry a secret value.
    const view = await settings({ secrets: Object.fromEntries(SECRETS.map(secret => [secret.name, secret.value])) });
    expect(view.secrets).toEqual(SECRETS.map(secret => ({ name: secret.name, set: true })).sort((a, b) => a.name.localeCompare(b.name)));
    await settings({ secrets: { AWS_REFUSED: SECRETS[0].value } }, 400);
    await settings({ variables: { SNTL_PLAIN: SECRETS[1].value } }, 400);

    live = await TestClient.connect(`${trellis.info.webSocketUrl}?token=${encodeURIComponent(await api.signIn())}`);
    const output = await trellis.push(APP, 'main', 'Print everything');
    const id = decodeURIComponent([...output.matchAll(/queued (\S+)\s+\S+#\/deployments\/(\S+)/g)][0][2]);
    deploymentIds.push(id);
    live.subscribe(id, 0);
    await live.until(() => live!.assembled.some(record => record.text.includes('holding until released')), 120_000);

    // The deploy holds: the builder is running. Its environment and argv are the task's parameters.
    captureBuilder(id);
    writeFileSync(releaseFile(), '');

    const done = await statusOf(id, 'succeeded');
    const outcomes = Object.fromEntries(done.phases.map((phase: { phase: string; outcome: string }) => [phase.phase, phase.outcome]));
    expect(outcomes).toMatchObject({ install: 'succeeded', test: 'succeeded', deploy: 'succeeded' });
    // The app did print its secrets, and what arrived is masked (not an empty log that passes any scan).
    const log = (await apiLog(id)).map(record => record.text);
    for (const phase of ['install', 'test', 'deploy']) {
      expect(log).toContain(`[${phase}] SNTL_PLAIN plain: ***`);
      expect(log).toContain(`[${phase}] GH_TOKEN base64: ***`);
    }
    expect(log).toContain('[deploy] fetched token ***');
  }, 240_000);

  test('a failed deploy (by the API token, its live log followed with it) and a teardown print them too; actions answer', async () => {
    await settings({ variables: { LEAKY_DEPLOY_EXIT: '1' } });
    rmSync(releaseFile());
    const failing = await tokenApi.call('POST', `/api/apps/${APP}/environments/${ENV}/deploy`, undefined, 202);
    expect(failing.trigger.actor).toBe('token ci-deploy');
    deploymentIds.push(failing.id);
    tokenLive!.subscribe(failing.id, 0);
    await tokenLive!.until(() => tokenLive!.assembled.some(record => record.text.includes('holding until released')), 120_000);
    captureBuilder(failing.id);
    writeFileSync(releaseFile(), '');
    const failed = await statusOf(failing.id, 'failed');
    // The reason carries the failing line as the log has it: the secret it printed masked.
    expect(failed.reason).toBe('deploy failed: npm run deploy exited with code 1: [deploy] deploy failed on purpose with ***');
    // Cancelling what already ended changes nothing and answers the deployment (one more body to scan).
    expect((await api.call('POST', `/api/deployments/${encodeURIComponent(failing.id)}/cancel`)).status).toBe('failed');
    await settings({ variables: { LEAKY_DEPLOY_EXIT: null } });

    const teardown = await api.call('POST', `/api/apps/${APP}/environments/${ENV}/teardown`, { confirm: ENV }, 202);
    deploymentIds.push(teardown.id);
    await statusOf(teardown.id, 'succeeded');
    expect((await apiLog(teardown.id)).map(record => record.text)).toContain('[remove] SNTL_QUOTED plain: ***');
  }, 240_000);

  test('no secret in any API response of the run, every GET route included', async () => {
    await api.call('GET', '/api/health');
    await api.call('GET', '/api/me');
    await api.call('GET', '/api/apps');
    await api.call('GET', `/api/apps/${APP}`);
    await api.call('GET', `/api/apps/${APP}/environments/${ENV}/deployments?limit=100`);
    for (const id of deploymentIds) {
      await api.call('GET', `/api/deployments/${encodeURIComponent(id)}`);
      await apiLog(id);
    }
    // The audit trail of every action above (settings with secrets included: names only), as a page and as JSON lines.
    const trail = await api.call('GET', `/api/apps/${APP}/audit?limit=100`);
    expect(trail.items.length).toBeGreaterThan(3);
    expect((await api.text('GET', `/api/apps/${APP}/audit?format=jsonl`)).split('\n').filter(Boolean).length).toBeGreaterThan(3);
    // The previews switch (off and on again): its answer lists the previews, scanned like every answer.
    await api.call('PUT', `/api/apps/${APP}/previews`, { enabled: false });
    await api.call('PUT', `/api/apps/${APP}/previews`, { enabled: true });
    // Failed notifications (none configured here: an empty list, scanned like every answer).
    await api.call('GET', `/api/apps/${APP}/notifications/failures`);
    await api.call('GET', '/config.json');
    await api.call('GET', '/api/deployments/not-an-id', undefined, 400);
    await connectGitHub();
    // The installation's own trail (the GitHub App set up just now, tokens for every application), a page and JSON lines.
    expect((await api.call('GET', '/api/audit?limit=100')).items.length).toBeGreaterThan(0);
    await api.text('GET', '/api/audit?format=jsonl');

    // Every GET route of the control API (and the settings write) answered 200 at least once.
    const answered = (method: string, template: string) => {
      const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      return api.responses.some(response => response.method === method && [200, 302].includes(response.status) && pattern.test(response.path.split('?')[0]));
    };
    const routes = ROUTES.filter(route => route.method === 'GET' || route.method === 'PUT');
    expect(routes.filter(route => !answered(route.method, route.path)).map(route => `${route.method} ${route.path}`)).toEqual([]);

    const scanner = new SecretScanner(everyValue());
    // A token's create answer shows it, once by design: every other answer is scanned.
    expect(tokenCreateAnswers.size).toBeGreaterThanOrEqual(2);
    api.responses.forEach((response, index) => {
      if (!tokenCreateAnswers.has(response)) scanner.scanMaybeJson(`api #${index} ${response.method} ${response.path} ${response.status}`, response.body);
    });
    // A secret cut across two records would hide from a per-record scan: each log read whole, too.
    for (const id of deploymentIds) scanner.scanText(`api log of ${id}, joined`, (await apiLog(id)).map(record => record.text).join(''));
    expect(scanner.scanned.size).toBeGreaterThan(20);
    recordFinding(ITEM, `API: ${api.responses.length} responses of ${new Set(api.responses.map(r => `${r.method} ${r.path.split('?')[0]}`)).size} distinct calls scanned for ${everyValue().length} values in every encoding`, 'info');
    expectNoSecrets(scanner, 'API response');
  }, 120_000);

  test('no secret in any stored item of the table, nor in the log read through the store', async () => {
    // Local mode's database is its data directory's key id's (DynamoDB Local without -sharedDb).
    const config = localClientConfig(dynamoEndpoint(), new DataDir(dataDir!).dynamodbAccessKeyId());
    const base = new DynamoDBClient(config);
    const client = DynamoDBDocumentClient.from(base);
    const scanner = new SecretScanner(everyValue());
    try {
      const { TableNames = [] } = await base.send(new ListTablesCommand({}));
      expect(TableNames.length).toBeGreaterThan(0);
      let items = 0;
      const tokenItems: Array<Record<string, unknown>> = [];
      for (const table of TableNames) {
        let start: Record<string, unknown> | undefined;
        do {
          const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
          for (const item of page.Items ?? []) scanner.scanValue(`table ${table} item ${items++}`, item);
          tokenItems.push(...(page.Items ?? []).filter(item => item.PK === 'TOKENS'));
          start = page.LastEvaluatedKey;
        } while (start);
        const store = createDynamoStore(tableContext(table, config));
        for (const id of deploymentIds) {
          const records: string[] = [];
          let from = 0;
          for (;;) {
            const page = await store.logs.read(id, { from, limit: 1000 });
            records.push(...page.records.map(record => record.text));
            if (page.end || page.records.length === 0) break;
            from = page.next;
          }
          expect(records.length).toBeGreaterThan(50);
          records.forEach((text, seq) => scanner.scanText(`store log ${id} #${seq}`, text));
          scanner.scanText(`store log ${id}, joined`, records.join(''));
        }
      }
      expect(items).toBeGreaterThan(10);
      // The kept token's item was scanned: it holds the SHA-256 of the secret (the scan finds no other form); the revoked one is gone.
      expect(tokenItems.map(item => ({ SK: item.SK, secretHash: item.secretHash }))).toEqual([
        { SK: `TOKEN#${deployToken.id}`, secretHash: secretDigest(parseApiToken(deployToken.token)!.secret) },
      ]);
      recordFinding(ITEM, `table: ${items} items scanned`, 'info');
    } finally {
      base.destroy();
    }
    expectNoSecrets(scanner, 'stored item');
  }, 120_000);

  test('no secret in the WebSocket live-log messages (the admin\'s connection and the API token\'s)', async () => {
    const scanner = new SecretScanner(everyValue());
    for (const [name, client] of [['admin', live!], ['API token', tokenLive!]] as const) {
      expect(client.messages.filter(message => message.type === 'log').length).toBeGreaterThan(0);
      expect(client.assembled.some(record => record.text === '[deploy] SNTL_PLAIN plain: ***')).toBe(true);
      client.messages.forEach((message, index) => scanner.scanValue(`${name} websocket message ${index}`, message));
      scanner.scanText(`${name} websocket log, joined`, client.assembled.map(record => record.text).join(''));
    }
    expectNoSecrets(scanner, 'WebSocket message');
  });

  test('the builders got names and ids, never a secret value: their environment and argv', () => {
    // The right processes were read: they carry their deployments' parameters (the pushed build's, the API token's deploy's).
    expect(builders.map(builder => builder.environ[BUILD_PARAMETERS.deploymentId])).toEqual(deploymentIds.slice(0, 2));
    const allowed: string[] = [
      ...Object.values(BUILD_PARAMETERS),
      BUILD_SETTINGS.tableName, BUILD_SETTINGS.installation, BUILD_SETTINGS.gitUrl,
      ...Object.values(LOCAL_BUILD_SETTINGS),
    ];
    const scanner = new SecretScanner(everyValue());
    for (const { deploymentId, environ, argv } of builders) {
      expect(argv.some(arg => arg.endsWith('builder.js'))).toBe(true);
      const trellisNames = Object.keys(environ).filter(name => name.startsWith('TRELLIS_')).sort();
      expect(trellisNames.filter(name => !allowed.includes(name))).toEqual([]);
      // No secret by name either (they are read from the secrets file at run time).
      expect(Object.keys(environ).filter(name => SECRETS.some(secret => secret.name === name))).toEqual([]);
      for (const [name, value] of Object.entries(environ)) scanner.scanText(`builder of ${deploymentId}: environment ${name}`, `${name}=${value}`);
      argv.forEach((arg, index) => scanner.scanText(`builder of ${deploymentId}: argv[${index}]`, arg));
    }
    expectNoSecrets(scanner, 'builder parameters');
  });

  test('no secret in the server\'s files (server.log, builder output, DynamoDB Local\'s files), its terminal or the trellis command\'s output', async () => {
    expect(await trellis.stop('SIGINT', 60_000)).toBe(0);
    const scanner = new SecretScanner(everyValue());
    // secrets.json holds them by design (mode 0600), and signing-key.pem local mode's sign-in key
    // (0600, a private key by name: the scan's PEM pattern would match it); the rest must not.
    expect((statSync(join(dataDir!, 'signing-key.pem')).mode % 0o1000).toString(8)).toBe('600');
    const files = filesIn(dataDir!, ['secrets.json', 'github/state.json', 'signing-key.pem']);
    expect(files.map(file => relative(dataDir!, file))).toEqual(expect.arrayContaining(['server.log']));
    for (const file of files) {
      const name = relative(dataDir!, file);
      if (name.startsWith('dynamodb/')) scanner.scanText(name, readFileSync(file, 'latin1')); // binary: ASCII needles still match
      else readFileSync(file, 'utf8').split('\n').forEach((line, index) => scanner.scanMaybeJson(`${name} line ${index + 1}`, line));
    }
    expect(scanner.sourcesStartingWith('dynamodb/').length).toBeGreaterThan(0);
    scanner.scanText('terminal output', trellis.output);
    expect(commandOutputs.length).toBeGreaterThanOrEqual(5);
    for (const output of commandOutputs) scanner.scanText(output.source, output.text);
    // The file that must hold them does: the scan can see them where they are.
    const store = new SecretScanner(SECRETS);
    store.scanText('secrets.json', readFileSync(join(dataDir!, 'secrets.json'), 'utf8'));
    expect(store.hits.length).toBeGreaterThan(0);
    expectNoSecrets(scanner, 'server file');
  }, 90_000);
});

describe('ECS task overrides', () => {
  test('RunTask carries only the deployment id, the build role and the ingest token', async () => {
    const sent: RunTaskCommandInput[] = [];
    const client = {
      send: async (command: RunTaskCommand) => {
        sent.push(command.input);
        return { tasks: [{ taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/trellis/abc' }] };
      },
    } as unknown as ECSClient;
    const runner = new EcsTaskRunner({
      cluster: 'trellis',
      taskDefinition: 'trellis-builder',
      containerName: 'builder',
      subnets: ['subnet-1'],
      securityGroups: ['sg-1'],
      assignPublicIp: false,
    }, client);
    const deployment: Deployment = {
      id: 'dep-1',
      application: APP,
      environment: ENV,
      action: 'deploy',
      commit: 'a'.repeat(40),
      status: 'queued',
      commitMessage: SECRETS[0].value,
      author: SECRETS[1].value,
      trigger: { kind: 'manual', actor: 'admin' },
      createdAt: '2024-01-01T00:00:00.000Z',
      updatedAt: '2024-01-01T00:00:00.000Z',
    };

    await runner.run(taskRequest(deployment, 'the-ingest-token', 'arn:aws:iam::123456789012:role/shop-dev-build'));

    expect(sent).toHaveLength(1);
    // The deployment id is RunTask's idempotency token and startedBy: a retried launch gets the same task.
    expect(sent[0]).toMatchObject({ clientToken: 'dep-1', startedBy: 'dep-1' });
    const overrides = sent[0].overrides;
    // The environment's build role (an ARN, no secret) and the container's variables.
    expect(Object.keys(overrides ?? {}).sort()).toEqual(['containerOverrides', 'taskRoleArn']);
    expect(overrides!.taskRoleArn).toBe('arn:aws:iam::123456789012:role/shop-dev-build');
    expect(overrides!.containerOverrides).toEqual([{
      name: 'builder',
      environment: [
        // Which deployment; the builder reads what it builds from its record.
        { name: BUILD_PARAMETERS.deploymentId, value: 'dep-1' },
        // The one secret, for this task only: it binds the task's live log batches to its deployment.
        { name: BUILD_INGEST_TOKEN, value: 'the-ingest-token' },
      ],
    }]);
    // Free text of the deployment (commit message, author) is not a parameter either.
    const scanner = new SecretScanner(SECRETS);
    scanner.scanValue('RunTask input', sent[0]);
    expect(scanner.report()).toEqual([]);
  });
});
