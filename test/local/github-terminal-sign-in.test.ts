import { LOCAL_ADMIN, SignInServer, chooseOnStandIn, startSignInServer } from './support/github-sign-in-server';
import { browserLogin, passwordSignIn } from '../../src/cli/browser-login';
import { EXIT } from '../../src/cli/exit-codes';
import { DashboardConfig } from '../../src/runtime/core';
import { pkceChallenge, pkceVerifier } from '../../src/runtime/core/pkce';

/**
 * `trellis login` with sign in with GitHub, end to end over real HTTP: local mode's server (its
 * public /auth/github routes, the state and the one-use code in DynamoDB Local), the GitHub
 * stand-in's authorize page, and the CLI's loopback listener; the test plays the browser.
 * The token never travels in a URL: the terminal gets a one-use code bound to its PKCE challenge.
 */
describe('sign in with GitHub from the terminal (local server and the GitHub stand-in)', () => {
  let world: SignInServer;
  let config: DashboardConfig;
  /** Every URL the browser was sent to or fetched. */
  const visited: string[] = [];

  beforeAll(async () => {
    world = await startSignInServer();
    config = await (await fetch(`${world.server.url}/config.json`)).json() as DashboardConfig;
  });

  afterAll(() => world?.close());

  /** A fetch that records the URL and the redirect it answers. */
  async function visit(url: string, init: RequestInit = {}): Promise<Response> {
    visited.push(url);
    const response = await fetch(url, { redirect: 'manual', ...init });
    const location = response.headers.get('location');
    if (location) visited.push(location);
    return response;
  }

  /** The browser from a sign-in URL to the stand-in's authorize page, choosing `login`: the server's callback URL. */
  async function throughGitHub(signInUrl: string, login: string): Promise<string> {
    const start = await visit(signInUrl);
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get('location')!);
    const chosen = await chooseOnStandIn(world.standIn, authorize, login);
    visited.push(chosen.headers.get('location')!);
    return chosen.headers.get('location')!;
  }

  /** A browser signing in as `login`: resolves with the status and page the CLI's listener answered. */
  function browserAs(login: string) {
    const pages: Array<Promise<{ status: number; page: string }>> = [];
    const open = (url: string) => pages.push((async () => {
      const back = await visit(await throughGitHub(url, login));
      expect(back.status).toBe(302);
      const answer = await visit(back.headers.get('location')!);
      return { status: answer.status, page: await answer.text() };
    })());
    return { open, pages };
  }

  const me = (token: string) => fetch(`${world.server.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });

  /** A sign-in started by hand with a loopback return and the challenge of `verifier`: the code GitHub's callback sends to the terminal. */
  async function codeFor(verifier: string, login = 'ada'): Promise<string> {
    const signIn = new URL(`${world.server.url}/auth/github/sign-in`);
    signIn.searchParams.set('return', 'http://127.0.0.1:1/callback?state=s');
    signIn.searchParams.set('code_challenge', pkceChallenge(verifier));
    signIn.searchParams.set('code_challenge_method', 'S256');
    const back = await visit(await throughGitHub(signIn.toString(), login));
    const location = new URL(back.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe('http://127.0.0.1:1/callback');
    expect(location.searchParams.get('state')).toBe('s');
    return location.searchParams.get('code')!;
  }

  const redeem = (body: unknown) => fetch(`${world.server.url}/auth/github/token`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });

  test('config.json offers GitHub, and trellis login signs in with it: the token has the mapped role and a one-hour life, and was in no URL', async () => {
    expect(config.auth).toEqual({ kind: 'local', githubSignInUrl: `${world.server.url}/auth/github/sign-in` });
    const { open, pages } = browserAs('dana');
    const printed: string[] = [];
    const signedIn = await browserLogin(config, { dashboardUrl: world.server.url, open, print: line => printed.push(line) });
    expect(await pages[0]).toEqual({ status: 200, page: expect.stringContaining('You can close this tab') });

    expect(signedIn).toEqual({ token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/), expiresAt: expect.any(String), user: 'dana' });
    expect(Math.round((Date.parse(signedIn.expiresAt!) - Date.now()) / 60_000)).toBe(60);
    const response = await me(signedIn.token);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ name: 'dana', grants: [{ role: 'deployer', application: 'shop' }] });

    const signInUrl = new URL(printed.find(line => line.includes('/auth/github/sign-in'))!.trim());
    expect(signInUrl.searchParams.get('return')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback\?state=[\w-]{32}$/);
    expect(signInUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(visited.join('\n')).not.toContain(signedIn.token);
    expect(visited.join('\n')).not.toContain('#token=');
    expect(JSON.stringify(world.logs)).not.toContain(signedIn.token);
  });

  test('a user without a role is refused back in the terminal, with the reason; no code is sent', async () => {
    const { open, pages } = browserAs('eve');
    const login = browserLogin(config, { dashboardUrl: world.server.url, open, print: () => undefined });
    await expect(login).rejects.toMatchObject({ exitCode: EXIT.auth, message: expect.stringContaining('eve is in none of the GitHub organizations or teams') });
    expect((await pages[0]).status).toBe(401);
    expect(visited.at(-1)).toMatch(/[?&]error=access_denied&/);
    expect(visited.at(-1)).not.toMatch(/[?&]code=/);
  });

  test('the code is redeemed once, with the verifier of its challenge; a wrong verifier spends it', async () => {
    const verifier = pkceVerifier();
    const code = await codeFor(verifier);
    const first = await redeem({ code, code_verifier: verifier });
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const { token, user } = await first.json() as { token: string; user: string };
    expect(user).toBe('ada');
    expect((await me(token)).status).toBe(200);
    const again = await redeem({ code, code_verifier: verifier });
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({ reason: expect.stringContaining('unknown, used already') });

    const other = await codeFor(verifier);
    const wrong = await redeem({ code: other, code_verifier: pkceVerifier() });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ reason: expect.stringContaining('code_verifier does not match') });
    expect((await redeem({ code: other, code_verifier: verifier })).status).toBe(401);
    expect(world.logs).toContainEqual(expect.objectContaining({ message: 'github sign-in code refused', subject: expect.stringMatching(/^github:/) }));
  });

  test('the token route names a missing or unknown field; nothing but the form of a code is looked up', async () => {
    expect(await (await redeem({})).json()).toMatchObject({ reason: expect.stringMatching(/code: is required[\s\S]*code_verifier: is required/) });
    expect(await (await redeem({ code: 'x', code_verifier: 'y', extra: 1 })).json()).toMatchObject({ reason: expect.stringContaining('extra') });
    expect((await redeem({ code: 'x'.repeat(5000), code_verifier: pkceVerifier() })).status).toBe(401);
  });

  test('a code challenge is taken only with a loopback return (an IP literal, http), and only as S256', async () => {
    const start = (params: Record<string, string>) => visit(`${world.server.url}/auth/github/sign-in?${new URLSearchParams(params)}`);
    const challenge = pkceChallenge(pkceVerifier());
    for (const target of ['https://evil.example/callback', 'http://localhost:1234/callback', 'https://127.0.0.1:1234/callback', 'http://user:pw@127.0.0.1:1/callback', 'http://127.0.0.2:1/callback']) {
      const answer = await start({ return: target, code_challenge: challenge, code_challenge_method: 'S256' });
      expect([target, answer.status, answer.headers.get('location')]).toEqual([target, 400, null]);
      expect(await answer.text()).toContain('must be the terminal&#39;s http://127.0.0.1:&#60;port&#62;/...');
    }
    const plain = await start({ return: 'http://127.0.0.1:1/callback', code_challenge: challenge, code_challenge_method: 'plain' });
    expect([plain.status, await plain.text()]).toEqual([400, expect.stringContaining('code_challenge_method: must be S256')]);
    const none = await start({ return: 'http://127.0.0.1:1/callback', code_challenge_method: 'S256' });
    expect([none.status, await none.text()]).toEqual([400, expect.stringContaining('code_challenge: is required')]);
    expect((await start({ return: 'http://[::1]:1/callback', code_challenge: challenge, code_challenge_method: 'S256' })).status).toBe(302);
  });

  test('local mode\'s password sign-in: its token works; a wrong password is refused with the sign-in exit code; without GitHub and a terminal, the usage names --password-stdin', async () => {
    const signedIn = await passwordSignIn(`${world.server.url}/`, LOCAL_ADMIN.user, LOCAL_ADMIN.password);
    expect(signedIn).toEqual({ token: expect.any(String), user: 'admin', expiresAt: expect.any(String) });
    expect((await me(signedIn.token)).status).toBe(200);
    await expect(passwordSignIn(world.server.url, LOCAL_ADMIN.user, 'wrong')).rejects.toMatchObject({ exitCode: EXIT.auth, message: expect.stringContaining('HTTP 401') });
    const passwordOnly: DashboardConfig = { ...config, auth: { kind: 'local' } };
    await expect(browserLogin(passwordOnly, { dashboardUrl: world.server.url, print: () => undefined })).rejects.toMatchObject({
      exitCode: EXIT.usage, message: `${world.server.url} signs in with a user and password: trellis login --url ${world.server.url} --user <name> --password-stdin (the password on stdin)`,
    });
  });

  test('no token, code or verifier reaches the server\'s log', () => {
    const text = JSON.stringify(world.logs);
    expect(text).not.toMatch(/eyJ|code_verifier"|"code"/);
  });
});
