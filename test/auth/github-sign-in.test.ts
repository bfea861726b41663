import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { FileSecretSource } from '../../src/local/file-secret-source';
import { ApiDeps, handleApiRequest } from '../../src/runtime/api/control-api';
import { gitHubSignInFromEnvironment } from '../../src/runtime/auth/github-sign-in-from-env';
import { JwtAuthenticator } from '../../src/runtime/auth/jwt-authenticator';
import { SessionSigningKey } from '../../src/runtime/auth/session-signing-key';
import { Clock, Store, UnauthorizedError } from '../../src/runtime/core';
import { GitHubConnection, GitHubTeam, GitHubUserAuthorization } from '../../src/runtime/core/github';
import { FakeCommitSource, FakeLaunchQueue, FakeSecretStore } from '../api/fakes';
import { FakeTaskRunner } from '../deployments/fake-task-runner';
import { freshStore } from '../support/test-table';

const API_URL = 'https://api.trellis.example';
const DASHBOARD = 'https://dashboard.trellis.example';

/** GitHub's user authorization as a table of codes → users (GitHub itself cannot run here). */
class FakeUserAuthorization implements GitHubUserAuthorization {
  readonly users = new Map<string, { id: number; login: string; organizations: string[]; teams: GitHubTeam[] }>();
  readonly exchanged: Array<{ code: string; redirectUri: string }> = [];

  authorizeUrl(state: string, redirectUri: string): string {
    return `https://github.example/login/oauth/authorize?${new URLSearchParams({ client_id: 'Iv1.test', redirect_uri: redirectUri, state })}`;
  }

  async exchangeCode(code: string, redirectUri: string): Promise<string> {
    this.exchanged.push({ code, redirectUri });
    if (!this.users.has(code)) throw new UnauthorizedError('GitHub did not accept the sign-in code: bad_verification_code');
    return `token-of-${code}`;
  }

  private of(token: string) {
    return this.users.get(token.replace(/^token-of-/, ''))!;
  }

  async user(token: string) {
    const { id, login } = this.of(token);
    return { id, login };
  }

  async organizations(token: string) {
    return this.of(token).organizations;
  }

  async teams(token: string) {
    return this.of(token).teams;
  }
}

/** The sign-in's routes through handleApiRequest, as the Lambda handler and the local server call it. */
describe('sign in with GitHub: the flow\'s rules', () => {
  let now = new Date('2026-12-06T10:00:00Z');
  const clock: Clock = { now: () => now };
  let store: Store;
  let github: FakeUserAuthorization;
  let deps: ApiDeps;
  let hasApp = true;

  beforeAll(async () => {
    ({ store } = await freshStore(clock));
    github = new FakeUserAuthorization();
    github.users.set('code-dana', { id: 7, login: 'dana', organizations: ['acme'], teams: [{ organization: 'acme', slug: 'shop-devs' }] });
    const connection: GitHubConnection = {
      endpoints: { apiUrl: 'https://github.example/api/v3', webUrl: 'https://github.example' },
      app: async () => undefined,
      userAuthorization: async () => (hasApp ? github : undefined),
      appInfo: async () => undefined,
      manifest: { convert: async () => { throw new Error('not used'); } },
    };
    const secrets = new FileSecretSource(join(mkdtempSync(join(tmpdir(), 'trellis-sign-in-')), 'secrets.json'));
    deps = {
      store,
      queue: new FakeLaunchQueue(),
      commits: new FakeCommitSource(),
      secrets: new FakeSecretStore(),
      runner: new FakeTaskRunner(),
      installation: 'acme',
      github: connection,
      urls: { api: API_URL, dashboard: DASHBOARD, webhook: `${API_URL}/webhook` },
      githubSignIn: {
        roles: [{ organization: 'acme', team: 'shop-devs', role: 'deployer', application: 'shop' }],
        signingKey: new SessionSigningKey(secrets, 'trellis/acme/session-signing-key'),
        returnOrigins: ['https://trellis.acme.example'],
      },
      clock,
      log: () => undefined,
    };
  });

  const get = (path: string, query: Record<string, string> = {}, given: ApiDeps = deps) => handleApiRequest({ method: 'GET', path, query, body: '' }, given);

  async function start(returnTo = `${DASHBOARD}/`): Promise<string> {
    const answer = await get('/auth/github/sign-in', { return: returnTo });
    expect(answer.statusCode).toBe(302);
    return new URL(answer.headers.location).searchParams.get('state')!;
  }

  test('the authorize URL sends GitHub\'s answer to the API\'s callback; the exchange names the same redirect URI', async () => {
    const answer = await get('/auth/github/sign-in', { return: `${DASHBOARD}/index.html#/apps/shop` });
    const authorize = new URL(answer.headers.location);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${API_URL}/auth/github/callback`);
    expect(authorize.searchParams.get('state')).toMatch(/^[\w-]{32}$/);
    const back = await get('/auth/github/callback', { code: 'code-dana', state: authorize.searchParams.get('state')! });
    // The fragment of the return address is dropped: the token takes its place.
    expect(back.headers.location).toMatch(new RegExp(`^${DASHBOARD}/index\\.html#token=`));
    expect(github.exchanged.at(-1)).toEqual({ code: 'code-dana', redirectUri: `${API_URL}/auth/github/callback` });
  });

  test('the issued token verifies with JwtAuthenticator from the served key set, and expires after an hour', async () => {
    const state = await start();
    const token = (await get('/auth/github/callback', { code: 'code-dana', state })).headers.location.split('#token=')[1];
    const discovery = JSON.parse((await get('/auth/github/.well-known/openid-configuration')).body);
    expect(discovery).toMatchObject({ issuer: `${API_URL}/auth/github`, jwks_uri: `${API_URL}/auth/github/.well-known/jwks.json` });
    const served = async (url: string) => {
      expect(url).toBe(discovery.jwks_uri);
      return JSON.parse((await get('/auth/github/.well-known/jwks.json')).body);
    };
    const authenticator = new JwtAuthenticator({ issuer: discovery.issuer, audiences: ['trellis-dashboard'] }, served, clock);
    expect(await authenticator.authenticate(token)).toEqual({ subject: 'github:7', name: 'dana', grants: [{ role: 'deployer', application: 'shop' }] });
    const later = { now: () => new Date(now.getTime() + 61 * 60_000) };
    await expect(new JwtAuthenticator({ issuer: discovery.issuer, audiences: ['trellis-dashboard'] }, served, later).authenticate(token)).rejects.toThrow('expired');
  });

  test('a state older than 10 minutes is refused, and so are one used once and one start() cannot have made', async () => {
    const state = await start();
    now = new Date(now.getTime() + 10 * 60_000 + 2_000);
    const late = await get('/auth/github/callback', { code: 'code-dana', state });
    expect([late.statusCode, late.headers.location]).toEqual([400, undefined]);
    expect(late.body).toContain('older than 10 minutes');

    for (const forged of ['x'.repeat(5000), 'a'.repeat(31), `${state.slice(0, 31)}!`]) {
      expect((await get('/auth/github/callback', { code: 'code-dana', state: forged })).statusCode).toBe(400);
    }

    const fresh = await start();
    expect((await get('/auth/github/callback', { code: 'code-dana', state: fresh })).statusCode).toBe(302);
    expect((await get('/auth/github/callback', { code: 'code-dana', state: fresh })).statusCode).toBe(400);
  });

  test('GitHub\'s refusal and a code GitHub does not accept end on a page with the reason and a way back', async () => {
    const denied = await get('/auth/github/callback', { error: 'access_denied', error_description: 'The user has denied your application access.', state: await start() });
    expect(denied.statusCode).toBe(401);
    expect(denied.body).toContain('GitHub did not sign you in: The user has denied your application access.');
    expect(denied.body).toContain(`href="${DASHBOARD}/"`);
    const badCode = await get('/auth/github/callback', { code: 'made-up', state: await start() });
    expect(badCode.statusCode).toBe(401);
    expect(badCode.body).toContain('bad_verification_code');
  });

  test('the page escapes what it shows', async () => {
    const answer = await get('/auth/github/callback', { error: 'x', error_description: '<script>alert(1)</script>', state: await start() });
    expect(answer.body).not.toContain('<script>');
    expect(answer.body).toContain('&#60;script&#62;');
    expect(answer.headers['content-security-policy']).toContain("default-src 'none'");
  });

  test('returns go to the dashboard or the configured origins only', async () => {
    expect((await get('/auth/github/sign-in', { return: 'https://trellis.acme.example/' })).statusCode).toBe(302);
    for (const target of ['https://dashboard.trellis.example.evil.example/', 'http://dashboard.trellis.example/', 'https://evil.example/?x=https://dashboard.trellis.example']) {
      expect([target, (await get('/auth/github/sign-in', { return: target })).statusCode]).toEqual([target, 400]);
    }
  });

  test('without the GitHub App the sign-in says so (409); without sign-in settings its routes are 404', async () => {
    hasApp = false;
    try {
      const answer = await get('/auth/github/sign-in', { return: `${DASHBOARD}/` });
      expect(answer.statusCode).toBe(409);
      expect(answer.body).toContain('needs the GitHub App');
    } finally {
      hasApp = true;
    }
    const { githubSignIn: _none, ...without } = deps;
    for (const path of ['/auth/github/sign-in', '/auth/github/callback', '/auth/github/.well-known/jwks.json']) {
      expect([path, (await get(path, {}, without)).statusCode]).toEqual([path, 404]);
    }
  });
});

describe('gitHubSignInFromEnvironment', () => {
  const secrets = { get: async () => 'unused', create: async () => true };

  test('off without roles; on with the issuer, the dashboard origins as returns and the installation\'s key', () => {
    expect(gitHubSignInFromEnvironment({ TRELLIS_INSTALLATION: 'acme' }, secrets, () => undefined)).toBeUndefined();
    const settings = gitHubSignInFromEnvironment({
      TRELLIS_INSTALLATION: 'acme',
      GITHUB_SIGN_IN_ROLES: JSON.stringify([{ organization: 'acme', role: 'admin' }]),
      GITHUB_SIGN_IN_ISSUER: `${API_URL}/auth/github`,
      DASHBOARD_ORIGINS: 'https://d1.cloudfront.net https://trellis.acme.example',
    }, secrets, () => undefined);
    expect(settings).toMatchObject({
      roles: [{ organization: 'acme', role: 'admin' }],
      issuer: `${API_URL}/auth/github`,
      returnOrigins: ['https://d1.cloudfront.net', 'https://trellis.acme.example'],
    });
  });

  test('a mapping the construct would refuse stops the function, naming the variable and the field', () => {
    expect(() => gitHubSignInFromEnvironment({ GITHUB_SIGN_IN_ROLES: '[{"organization":"acme","role":"owner"}]' }, secrets, () => undefined))
      .toThrow("GITHUB_SIGN_IN_ROLES[0].role: 'owner' must be one of viewer, deployer, admin");
    expect(() => gitHubSignInFromEnvironment({ GITHUB_SIGN_IN_ROLES: 'nope' }, secrets, () => undefined)).toThrow('GITHUB_SIGN_IN_ROLES is not JSON');
  });
});
