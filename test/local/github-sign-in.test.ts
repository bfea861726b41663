import { readFileSync } from 'fs';
import { LOCAL_ADMIN, SIGN_IN_INSTALLATION as INSTALLATION, SignInServer, chooseOnStandIn, startSignInServer } from './support/github-sign-in-server';
import { GITHUB_SIGN_IN_AUDIENCE } from '../../src/contract/github-sign-in';
import { secretNames } from '../../src/contract/secret-names';
import { DashboardServer } from '../../src/local/dashboard-server';
import { FileSecretSource } from '../../src/local/file-secret-source';
import { GitHubStandIn } from '../../src/local/github-stand-in/stand-in';
import { JwtAuthenticator } from '../../src/runtime/auth/jwt-authenticator';
import { DashboardConfig } from '../../src/runtime/core';

/**
 * Sign in with GitHub end to end over real HTTP: the local server's public /auth/github routes,
 * the GitHub stand-in's authorize page and token exchange, the state in DynamoDB Local, the
 * signing key in the secrets file; the token then used against the API.
 */
describe('sign in with GitHub (local server and the GitHub stand-in)', () => {
  let world: SignInServer;
  let server: DashboardServer;
  let standIn: GitHubStandIn;
  let secrets: FileSecretSource;
  let logged: Array<Record<string, unknown>>;

  beforeAll(async () => {
    world = await startSignInServer();
    ({ server, standIn, secrets, logs: logged } = world);
  });

  afterAll(() => world?.close());

  const noFollow = (url: string) => fetch(url, { redirect: 'manual' });

  /** Start at the sign-in route, choose `login` on the stand-in's authorize page: GitHub's redirect back to the callback. */
  async function authorizeAs(login: string): Promise<string> {
    const start = await noFollow(`${server.url}/auth/github/sign-in?return=${encodeURIComponent(`${server.url}/`)}`);
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.origin).toBe(standIn.url);
    const page = await (await fetch(authorize)).text();
    expect(page).toContain(`Sign in as ${login}`);
    const chosen = await chooseOnStandIn(standIn, authorize, login);
    expect(chosen.status).toBe(302);
    const callback = chosen.headers.get('location')!;
    expect(callback.startsWith(`${server.url}/auth/github/callback?`)).toBe(true);
    return callback;
  }

  /** The whole flow: the token from the fragment of the redirect back to the dashboard. */
  async function signInAs(login: string): Promise<string> {
    const back = await noFollow(await authorizeAs(login));
    expect(back.status).toBe(302);
    const location = back.headers.get('location')!;
    expect(location).toMatch(new RegExp(`^${server.url}/#token=[\\w-]+\\.[\\w-]+\\.[\\w-]+$`));
    return location.split('#token=')[1];
  }

  const me = (token: string) => fetch(`${server.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });

  test('a member of a team mapped to deployer of one application signs in with exactly that role', async () => {
    const token = await signInAs('dana');
    const response = await me(token);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ name: 'dana', grants: [{ role: 'deployer', application: 'shop' }] });
  });

  test('a member of the admin team gets admin; the token is RS256 with the issuer, audience, subject, groups and a one-hour life', async () => {
    const token = await signInAs('ada');
    expect(await (await me(token)).json()).toMatchObject({ name: 'ada', grants: [{ role: 'admin', application: '*' }] });
    const [header, claims] = token.split('.').slice(0, 2).map(part => JSON.parse(Buffer.from(part, 'base64url').toString()));
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT', kid: expect.any(String) });
    expect(claims).toEqual({
      iss: `${server.url}/auth/github`,
      aud: 'trellis-dashboard',
      sub: expect.stringMatching(/^github:\d+$/),
      name: 'ada',
      groups: ['admin'],
      iat: expect.any(Number),
      exp: claims.iat + 3600,
    });
  });

  test('the token verifies with a JwtAuthenticator that discovers the key set over HTTP, as API Gateway does; a tampered one does not', async () => {
    const token = await signInAs('ada');
    const discovery = await (await fetch(`${server.url}/auth/github/.well-known/openid-configuration`)).json() as Record<string, string>;
    expect(discovery).toMatchObject({ issuer: `${server.url}/auth/github`, jwks_uri: `${server.url}/auth/github/.well-known/jwks.json` });
    const authenticator = new JwtAuthenticator({ issuer: discovery.issuer, audiences: [GITHUB_SIGN_IN_AUDIENCE], jwksUrl: discovery.jwks_uri });
    expect(await authenticator.authenticate(token)).toEqual({ subject: expect.stringMatching(/^github:/), name: 'ada', grants: [{ role: 'admin', application: '*' }] });

    const [header, , signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, name: 'dana' })).toString('base64url')}.${signature}`;
    await expect(authenticator.authenticate(tampered)).rejects.toThrow('signature');
    expect((await me(tampered)).status).toBe(401);
  });

  test('a user outside the mapped teams is refused with a 403 page naming them, not the mapping (anyone may sign in), and no token', async () => {
    const refused = await noFollow(await authorizeAs('eve'));
    expect(refused.status).toBe(403);
    expect(refused.headers.get('location')).toBeNull();
    expect(refused.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await refused.text();
    expect(page).toContain('eve is in none of the GitHub organizations or teams');
    expect(page).not.toMatch(/acme\/platform|shop-devs/);
    expect(page).toContain(`href="${server.url}/"`);
    expect(page).not.toMatch(/token=|eyJ/);
    expect(logged).toContainEqual(expect.objectContaining({ message: 'github sign-in refused', login: 'eve' }));
  });

  test('a replayed callback and a forged state are refused without a token', async () => {
    const callback = await authorizeAs('ada');
    expect((await noFollow(callback)).status).toBe(302);
    const replayed = await noFollow(callback);
    expect(replayed.status).toBe(400);
    expect(replayed.headers.get('location')).toBeNull();
    expect(await replayed.text()).toContain('does not match a sign-in started here');

    const forged = new URL(await authorizeAs('ada'));
    forged.searchParams.set('state', 'made-up-state');
    const answer = await noFollow(forged.toString());
    expect(answer.status).toBe(400);
    expect(answer.headers.get('location')).toBeNull();
    const missing = await noFollow(`${server.url}/auth/github/callback?code=x`);
    expect(missing.status).toBe(400);
  });

  test('a return address outside the dashboard\'s origin is refused (no open redirect)', async () => {
    for (const target of ['https://evil.example/', `http://user:pw@${new URL(server.url).host}/`, 'javascript:alert(1)', '//evil.example/', '']) {
      const answer = await noFollow(`${server.url}/auth/github/sign-in?return=${encodeURIComponent(target)}`);
      expect([target, answer.status, answer.headers.get('location')]).toEqual([target, 400, null]);
      expect(await answer.text()).toContain('must be a page of the dashboard');
    }
    // The port is part of the origin.
    const otherPort = await noFollow(`${server.url}/auth/github/sign-in?return=${encodeURIComponent('http://127.0.0.1:1/')}`);
    expect(otherPort.status).toBe(400);
  });

  test('config.json offers GitHub beside the local password, and the local server takes both kinds of token', async () => {
    const config = await (await fetch(`${server.url}/config.json`)).json() as DashboardConfig;
    expect(config.auth).toEqual({ kind: 'local', githubSignInUrl: `${server.url}/auth/github/sign-in` });
    const signedIn = await fetch(`${server.url}/auth/local/sign-in`, { method: 'POST', body: JSON.stringify(LOCAL_ADMIN) });
    const { token } = await signedIn.json() as { token: string };
    expect((await me(token)).status).toBe(200);
    expect((await me(await signInAs('dana'))).status).toBe(200);
  });

  test('the signing key is kept as PEM in the secrets file, and the key set publishes only its public half', async () => {
    const stored = JSON.parse(readFileSync(secrets.file, 'utf8'))[secretNames.sessionSigningKey(INSTALLATION)];
    expect(stored).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const jwks = await (await fetch(`${server.url}/auth/github/.well-known/jwks.json`)).json() as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys).toEqual([{ kty: 'RSA', n: expect.any(String), e: 'AQAB', kid: expect.any(String), alg: 'RS256', use: 'sig' }]);
  });

  test('no secret reaches the log', () => {
    const text = JSON.stringify(logged);
    expect(text).not.toMatch(/eyJ|ghu_|PRIVATE KEY|client_secret/);
  });
});
