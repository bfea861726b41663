/**
 * The GitHub client (runtime/github) against local mode's GitHub stand-in, over real HTTP on
 * 127.0.0.1: every port of core/github.ts, and the stand-in checking what GitHub checks.
 */
import { createSign, generateKeyPairSync } from 'crypto';
import { mkdtempSync, rmSync } from 'fs';
import { IncomingMessage, Server, createServer } from 'http';
import { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { GitHubStandIn, startGitHubStandIn } from '../../src/local/github-stand-in/stand-in';
import { NotFoundError, UnauthorizedError } from '../../src/runtime/core/errors';
import { GitHubAppCredentials, GitHubConnection } from '../../src/runtime/core/github';
import { SecretSource } from '../../src/runtime/core/ports';
import { appJwt } from '../../src/runtime/github/app-jwt';
import { gitHubConnection } from '../../src/runtime/github/github-connection';
import { GitHubApiError } from '../../src/runtime/github/github-rest';
import { parsePush } from '../../src/runtime/webhook/github-payload';
import { gitRepo } from '../support/git-repo';
import { githubSignature } from '../support/github-webhook';

const CREDENTIALS_SECRET = 'trellis/test/github-app';
const CALLBACK = 'http://127.0.0.1:9/auth/github/callback';

/** A webhook receiver on 127.0.0.1: records each request, answers the next queued status (else 200). */
interface Receiver {
  readonly url: string;
  readonly received: Array<{ headers: IncomingMessage['headers']; body: string }>;
  readonly answers: number[];
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const received: Receiver['received'] = [];
  const answers: number[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', chunk => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(answers.shift() ?? 200).end();
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`,
    received,
    answers,
    close: () => new Promise(resolve => server.close(() => resolve())),
  };
}

function secretsOf(credentials: GitHubAppCredentials): SecretSource {
  return {
    get: async name => {
      if (name !== CREDENTIALS_SECRET) throw new NotFoundError(`secret ${name} does not exist`);
      return JSON.stringify(credentials);
    },
  };
}

function connect(standIn: GitHubStandIn, credentials: GitHubAppCredentials): GitHubConnection {
  return gitHubConnection({
    endpoints: standIn.endpoints, secrets: secretsOf(credentials), credentialsSecret: CREDENTIALS_SECRET, log: () => undefined,
  });
}

function manifest(hookUrl: string): object {
  return {
    name: 'Trellis test',
    url: 'http://127.0.0.1:9',
    hook_attributes: { url: hookUrl },
    redirect_url: 'http://127.0.0.1:9/github/app-created',
    setup_url: 'http://127.0.0.1:9/#/setup',
    callback_urls: [CALLBACK],
    public: false,
    default_permissions: { contents: 'read', statuses: 'write', deployments: 'write', metadata: 'read', members: 'read' },
    default_events: ['push', 'pull_request'],
  };
}

/** A JWT with any claims, signed RS256 (appJwt makes only valid ones). */
function signedJwt(claims: object, privateKey: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}`;
  return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(privateKey).toString('base64url')}`;
}

async function get(url: string, token?: string): Promise<Response> {
  return fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, redirect: 'manual' });
}

/** A page's forms: action and fields (hidden inputs and the checkboxes' values). */
function forms(html: string): Array<{ action: string; fields: URLSearchParams; button: string }> {
  return [...html.matchAll(/<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/g)].map(([, action, inner]) => {
    const fields = new URLSearchParams();
    const unescape = (text: string) => text.replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code)));
    for (const [, name, value] of inner.matchAll(/<input type="(?:hidden|checkbox)" name="([^"]+)" value="([^"]*)"/g)) fields.append(name, unescape(value));
    return { action: unescape(action), fields, button: /<button type="submit">([^<]*)<\/button>/.exec(inner)?.[1] ?? '' };
  });
}

async function submit(base: string, form: { action: string; fields: URLSearchParams }): Promise<Response> {
  return fetch(new URL(form.action, base), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.fields.toString(),
    redirect: 'manual',
  });
}

describe('the GitHub client against the stand-in', () => {
  let dir: string;
  let standIn: GitHubStandIn;
  let receiver: Receiver;
  let credentials: GitHubAppCredentials & { webhookSecret: string };
  let github: GitHubConnection;
  let widgets: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'github-contract-'));
    widgets = gitRepo(join(dir, 'widgets'), { 'a.txt': 'one' }, { 'a.txt': 'two' });
    gitRepo(join(dir, 'gadgets'), { 'b.txt': 'one' });
    gitRepo(join(dir, 'elsewhere'), { 'c.txt': 'one' });
    receiver = await startReceiver();
    standIn = await startGitHubStandIn({ dataDir: join(dir, 'state') });
    standIn.addRepository('acme/widgets', join(dir, 'widgets'));
    standIn.addRepository('acme/gadgets', join(dir, 'gadgets'), { defaultBranch: 'main', private: false });
    standIn.addRepository('acme/elsewhere', join(dir, 'elsewhere'));
    credentials = standIn.createApp(manifest(receiver.url));
    standIn.install(['acme/widgets', 'acme/gadgets']);
    github = connect(standIn, credentials);
  });

  afterAll(async () => {
    await standIn?.close();
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('no App credentials yet: every part answers undefined', async () => {
    const none = gitHubConnection({
      endpoints: standIn.endpoints,
      secrets: { get: async name => { throw new NotFoundError(`secret ${name} does not exist`); } },
      credentialsSecret: CREDENTIALS_SECRET,
      log: () => undefined,
    });
    expect(await none.app()).toBeUndefined();
    expect(await none.userAuthorization()).toBeUndefined();
    expect(await none.appInfo()).toBeUndefined();
    expect(await github.appInfo()).toEqual({ appId: credentials.appId, slug: 'trellis-test', htmlUrl: `${standIn.url}/apps/trellis-test` });
  });

  test('a repository token covers exactly its repository, with contents:read only', async () => {
    const app = (await github.app())!;
    const before = standIn.tokensIssued().length;
    const { token, expiresAt } = await app.repositoryToken('acme/widgets');
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect(standIn.tokensIssued().slice(before)).toEqual([{ repositories: ['acme/widgets'], permissions: { contents: 'read' } }]);

    const commit = await get(`${standIn.endpoints.apiUrl}/repos/acme/widgets/commits/main`, token);
    expect(commit.status).toBe(200);
    expect((await commit.json() as { sha: string }).sha).toBe(widgets[1]);
    // Another repository of the same installation: private → 404 (GitHub does not say it exists).
    const other = await get(`${standIn.endpoints.apiUrl}/repos/acme/elsewhere/commits/main`, token);
    expect(other.status).toBe(404);
    // Its own repository, but a permission it lacks → 403.
    const status = await fetch(`${standIn.endpoints.apiUrl}/repos/acme/widgets/statuses/${widgets[1]}`, {
      method: 'POST',
      headers: { 'authorization': `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ state: 'success', context: 'x' }),
    });
    expect(status.status).toBe(403);

    // Asked again: the same token, nothing new issued.
    expect((await app.repositoryToken('acme/widgets')).token).toBe(token);
    expect(standIn.tokensIssued()).toHaveLength(before + 1);
    await expect(app.repositoryToken('acme/elsewhere')).rejects.toThrow(new NotFoundError('the GitHub App is not installed on acme/elsewhere'));
  });

  test('installed repositories: every one of the installation, sorted, as GitHub describes them', async () => {
    const app = (await github.app())!;
    expect(await app.installedRepositories()).toEqual([
      { fullName: 'acme/gadgets', private: false, defaultBranch: 'main' },
      { fullName: 'acme/widgets', private: true, defaultBranch: 'main' },
    ]);
  });

  test('an expired, a too long-lived or a forged App JWT is refused', async () => {
    const ok = appJwt(credentials.appId, credentials.privateKey);
    expect((await get(`${standIn.endpoints.apiUrl}/app/installations`, ok)).status).toBe(200);
    const expired = appJwt(credentials.appId, credentials.privateKey, new Date(Date.now() - 20 * 60_000));
    expect((await get(`${standIn.endpoints.apiUrl}/app/installations`, expired)).status).toBe(401);
    const seconds = Math.floor(Date.now() / 1000);
    const tooLong = signedJwt({ iat: seconds - 60, exp: seconds + 20 * 60, iss: credentials.appId }, credentials.privateKey);
    expect((await get(`${standIn.endpoints.apiUrl}/app/installations`, tooLong)).status).toBe(401);
    const { privateKey: otherKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const forged = appJwt(credentials.appId, otherKey);
    const refused = await get(`${standIn.endpoints.apiUrl}/app/installations`, forged);
    expect(refused.status).toBe(401);
    expect((await refused.json() as { message: string }).message).toMatch(/JWT|Issuer/);
    // An installation token is not the App.
    const { token } = await (await github.app())!.repositoryToken('acme/widgets');
    expect((await get(`${standIn.endpoints.apiUrl}/app/installations`, token)).status).toBe(401);
    // A client whose key is not the App's fails with GitHub's 401, the key in no message.
    const wrong = connect(standIn, { ...credentials, privateKey: otherKey });
    const error = await (await wrong.app())!.installedRepositories().catch(caught => caught);
    expect(error).toBeInstanceOf(GitHubApiError);
    expect(error.status).toBe(401);
    expect(error.message).not.toContain('PRIVATE KEY');
  });

  test('commit statuses are recorded with a token limited to statuses:write', async () => {
    const app = (await github.app())!;
    const before = standIn.tokensIssued().length;
    await app.setCommitStatus({ repository: 'acme/widgets', sha: widgets[1], context: 'trellis/widgets/dev', state: 'pending', description: 'queued' });
    await app.setCommitStatus({
      repository: 'acme/widgets',
      sha: widgets[1],
      context: 'trellis/widgets/dev',
      state: 'success',
      description: 'd'.repeat(200),
      targetUrl: 'http://127.0.0.1:9/#/deployments/d1',
    });
    expect(standIn.statuses('acme/widgets', widgets[1])).toEqual([
      { context: 'trellis/widgets/dev', state: 'pending', description: 'queued', target_url: null },
      { context: 'trellis/widgets/dev', state: 'success', description: 'd'.repeat(140), target_url: 'http://127.0.0.1:9/#/deployments/d1' },
    ]);
    expect(standIn.tokensIssued().slice(before)).toEqual([{ repositories: ['acme/widgets'], permissions: { statuses: 'write' } }]);
    // GitHub refuses a status for a commit it does not have.
    await expect(app.setCommitStatus({ repository: 'acme/widgets', sha: 'f'.repeat(40), context: 'c', state: 'error', description: '' }))
      .rejects.toMatchObject({ status: 422 });
  });

  test('deployments and their statuses are recorded with a token limited to deployments:write', async () => {
    const app = (await github.app())!;
    const before = standIn.tokensIssued().length;
    const id = await app.createDeployment({ repository: 'acme/widgets', sha: widgets[0], environment: 'production', productionEnvironment: true });
    await app.setDeploymentStatus('acme/widgets', id, { state: 'in_progress', logUrl: 'http://127.0.0.1:9/#/deployments/d2' });
    await app.setDeploymentStatus('acme/widgets', id, { state: 'success', environmentUrl: 'http://127.0.0.1:9/apps/prod/' });
    expect(standIn.deployments('acme/widgets')).toEqual([{
      id,
      sha: widgets[0],
      environment: 'production',
      production_environment: true,
      statuses: [
        { state: 'in_progress', description: '', log_url: 'http://127.0.0.1:9/#/deployments/d2' },
        { state: 'success', description: '', environment_url: 'http://127.0.0.1:9/apps/prod/' },
      ],
    }]);
    expect(standIn.tokensIssued().slice(before)).toEqual([{ repositories: ['acme/widgets'], permissions: { deployments: 'write' } }]);
    await expect(app.setDeploymentStatus('acme/widgets', 999_999, { state: 'success' })).rejects.toBeInstanceOf(NotFoundError);
  });

  test('a push is delivered signed and GitHub-shaped; a failed one is listed and redelivered with its GUID', async () => {
    const app = (await github.app())!;
    const since = new Date(Date.now() - 1000).toISOString();
    receiver.answers.push(500);
    expect(await standIn.deliverPush('acme/widgets', { ref: 'refs/heads/main', before: widgets[0], after: widgets[1] })).toBe(500);
    const [first] = receiver.received.slice(-1);
    expect(first.headers['x-github-event']).toBe('push');
    expect(first.headers['x-hub-signature-256']).toBe(githubSignature(credentials.webhookSecret, first.body));
    const payload = JSON.parse(first.body);
    expect(payload).toMatchObject({
      ref: 'refs/heads/main',
      before: widgets[0],
      after: widgets[1],
      forced: false,
      repository: { full_name: 'acme/widgets' },
      head_commit: { id: widgets[1], message: 'version 2' },
      installation: { id: expect.any(Number) },
      sender: { login: 'acme' },
    });
    // What the webhook function reads from it.
    expect(parsePush(payload)).toMatchObject({
      push: { repository: 'acme/widgets', ref: 'refs/heads/main', deleted: false, headCommit: widgets[1] },
      before: widgets[0],
      commitMessage: 'version 2',
      author: 'Test',
      forced: false,
    });

    const failed = await app.deliveries(since);
    expect(failed).toEqual([expect.objectContaining({ event: 'push', statusCode: 500, redelivery: false, guid: first.headers['x-github-delivery'] })]);
    await app.redeliver(failed[0].id);
    const [again] = receiver.received.slice(-1);
    expect(again.headers['x-github-delivery']).toBe(first.headers['x-github-delivery']);
    expect(again.body).toBe(first.body);
    const listed = await app.deliveries(since);
    expect(listed.map(delivery => [delivery.statusCode, delivery.redelivery])).toEqual([[200, true], [500, false]]);
    await expect(app.redeliver(987_654)).rejects.toBeInstanceOf(NotFoundError);
  });

  test('sign in with GitHub end to end over HTTP: authorize page, code, token, user, organizations, teams', async () => {
    standIn.addUser({ login: 'octo', name: 'Octo Cat', organizations: ['Acme'], teams: ['acme/deployers'] });
    const users = (await github.userAuthorization())!;
    const page = await get(users.authorizeUrl('state-1', CALLBACK));
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toMatch(/<script/i);
    const signIn = forms(html).find(form => form.button === 'Sign in as octo')!;
    const redirected = await submit(standIn.url, signIn);
    expect(redirected.status).toBe(302);
    const location = new URL(redirected.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(CALLBACK);
    expect(location.searchParams.get('state')).toBe('state-1');
    const code = location.searchParams.get('code')!;

    const token = await users.exchangeCode(code, CALLBACK);
    expect(await users.user(token)).toEqual({ id: expect.any(Number), login: 'octo', name: 'Octo Cat' });
    expect(await users.organizations(token)).toEqual(['acme']);
    expect(await users.teams(token)).toEqual([{ organization: 'acme', slug: 'deployers' }]);
    // A code works once; an installation token is no user token.
    await expect(users.exchangeCode(code, CALLBACK)).rejects.toBeInstanceOf(UnauthorizedError);
    const { token: installationToken } = await (await github.app())!.repositoryToken('acme/widgets');
    await expect(users.user(installationToken)).rejects.toMatchObject({ status: 403 });
  });

  test('a redirect_uri that is not one of the App\'s callback URLs is refused: no redirect, no code', async () => {
    const users = (await github.userAuthorization())!;
    for (const elsewhere of ['http://127.0.0.1:9/elsewhere', 'http://evil.example/auth/github/callback', `${CALLBACK}/deeper`, `${CALLBACK}?next=x`]) {
      const page = await get(users.authorizeUrl('s', elsewhere));
      expect(page.status).toBe(400);
      expect(page.headers.get('location')).toBeNull();
      expect(await page.text()).not.toContain('Sign in as');
    }
  });

  test('the repository\'s pages show what was reported; POST /_stand-in/push delivers a push; failNext injects faults', async () => {
    const page = await (await get(`${standIn.url}/acme/widgets`)).text();
    expect(page).toContain(widgets[1].slice(0, 7));
    expect(page).toMatch(/trellis\/widgets\/dev<\/td><td>success/);
    expect(page).toMatch(/production<\/td><td>[0-9a-f]{7}<\/td><td>success/);
    const commitPage = await (await get(`${standIn.url}/acme/widgets/commit/${widgets[1]}`)).text();
    expect(commitPage).toMatch(/pending[\s\S]*success/);

    const before = receiver.received.length;
    const pushed = await fetch(`${standIn.url}/_stand-in/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ repository: 'acme/widgets', ref: 'refs/heads/main', before: widgets[0], after: widgets[1] }),
    });
    expect(await pushed.json()).toEqual({ status_code: 200, response: '' });
    expect(receiver.received).toHaveLength(before + 1);
    const notInstalled = await fetch(`${standIn.url}/_stand-in/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ repository: 'acme/elsewhere', ref: 'refs/heads/main', before: widgets[0], after: widgets[1] }),
    });
    expect(notInstalled.status).toBe(422);

    standIn.failNext(/\/statuses\//, 502);
    const app = (await github.app())!;
    const report = { repository: 'acme/widgets', sha: widgets[1], context: 'trellis/widgets/dev', state: 'success' as const, description: 'again' };
    await expect(app.setCommitStatus(report)).rejects.toMatchObject({ status: 502 });
    await app.setCommitStatus(report);
    expect(standIn.statuses('acme/widgets', widgets[1])).toHaveLength(3);
  });

  test('state survives a restart of the stand-in: App, installations, users, statuses, deployments, deliveries', async () => {
    const app = (await github.app())!;
    const { token } = await app.repositoryToken('acme/widgets');
    const deliveries = standIn.deliveries();
    await standIn.close();
    standIn = await startGitHubStandIn({ dataDir: join(dir, 'state') });
    github = connect(standIn, credentials);
    const restarted = (await github.app())!;
    expect(await restarted.installedRepositories()).toHaveLength(2);
    expect(standIn.statuses('acme/widgets', widgets[1])).toHaveLength(3);
    expect(standIn.deployments('acme/widgets')).toHaveLength(1);
    expect(standIn.deliveries()).toEqual(deliveries);
    expect((await get(`${standIn.endpoints.apiUrl}/repos/acme/widgets/commits/main`, token)).status).toBe(200);
    const users = (await github.userAuthorization())!;
    expect(await (await get(users.authorizeUrl('s', CALLBACK))).text()).toContain('Sign in as octo');
  });
});

describe('the app-manifest flow through the stand-in\'s pages', () => {
  let dir: string;
  let standIn: GitHubStandIn;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'github-manifest-'));
    gitRepo(join(dir, 'widgets'), { 'a.txt': 'one' });
    standIn = await startGitHubStandIn();
    standIn.addRepository('acme/widgets', join(dir, 'widgets'));
  });

  afterAll(async () => {
    await standIn?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('form → "Create GitHub App" → redirect with code and state → conversion once → install page → setup URL', async () => {
    const created = await fetch(`${standIn.url}/organizations/acme/settings/apps/new?state=abc`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ manifest: JSON.stringify(manifest('http://127.0.0.1:9/webhook')) }).toString(),
    });
    expect(created.status).toBe(200);
    const confirm = forms(await created.text()).find(form => form.button === 'Create GitHub App')!;
    const back = await submit(standIn.url, confirm);
    expect(back.status).toBe(302);
    const location = new URL(back.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe('http://127.0.0.1:9/github/app-created');
    expect(location.searchParams.get('state')).toBe('abc');

    const conversion = gitHubConnection({
      endpoints: standIn.endpoints,
      secrets: { get: async () => { throw new NotFoundError('none'); } },
      credentialsSecret: CREDENTIALS_SECRET,
      log: () => undefined,
    }).manifest;
    const converted = await conversion.convert(location.searchParams.get('code')!);
    expect(converted).toMatchObject({ slug: 'trellis-test', htmlUrl: `${standIn.url}/apps/trellis-test` });
    expect(converted.privateKey).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    const again = await conversion.convert(location.searchParams.get('code')!).catch(error => error);
    expect(again).toBeInstanceOf(NotFoundError);
    expect(again.message).not.toContain(location.searchParams.get('code'));

    const installPage = await get(`${standIn.url}/apps/trellis-test/installations/new`);
    const installForm = forms(await installPage.text()).find(form => form.button === 'Install')!;
    expect(installForm.fields.getAll('repositories')).toEqual(['acme/widgets']);
    const installed = await submit(standIn.url, installForm);
    expect(installed.status).toBe(302);
    const setup = new URL(installed.headers.get('location')!);
    expect(setup.hash).toBe('#/setup');
    expect(setup.searchParams.get('setup_action')).toBe('install');
    const installationId = Number(setup.searchParams.get('installation_id'));

    // The converted credentials are the App: its key signs, the installation is the one the page made.
    const app = (await connect(standIn, converted).app())!;
    expect(await app.installedRepositories()).toEqual([{ fullName: 'acme/widgets', private: true, defaultBranch: 'main' }]);
    const jwt = appJwt(converted.appId, converted.privateKey);
    const installation = await (await get(`${standIn.endpoints.apiUrl}/repos/acme/widgets/installation`, jwt)).json() as { id: number };
    expect(installation.id).toBe(installationId);
  });
});
