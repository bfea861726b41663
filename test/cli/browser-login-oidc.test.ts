import { createServer } from 'http';
import { AddressInfo } from 'net';
import { OidcTestProvider, startOidcTestProvider } from './support/oidc-test-provider';
import { BrowserLoginOptions, browserLogin, refreshSession } from '../../src/cli/browser-login';
import { CliError, EXIT } from '../../src/cli/exit-codes';
import { TERMINAL_SIGN_IN_CALLBACK } from '../../src/contract/terminal-sign-in';
import { DashboardConfig } from '../../src/runtime/core/api-types';
import { pkceChallenge } from '../../src/runtime/core/pkce';

/**
 * `trellis login` against an OIDC provider (Cognito's or another issuer's authorization code
 * flow with PKCE), over real HTTP: the provider in the test checks what the CLI sends, and the
 * test plays the browser, following the authorize redirect back to the CLI's loopback listener.
 */
describe('browserLogin with an OIDC provider', () => {
  let provider: OidcTestProvider;
  let config: DashboardConfig;

  beforeAll(async () => {
    provider = await startOidcTestProvider({ user: 'ada@example.com' });
    config = {
      apiUrl: 'http://127.0.0.1:9/api-unused',
      webSocketUrl: 'ws://127.0.0.1:9/unused',
      auth: { kind: 'oidc', authorizeUrl: provider.authorizeUrl, tokenUrl: provider.tokenUrl, clientId: provider.clientId, scopes: ['openid', 'email'] },
    };
  });

  afterAll(() => provider?.close());

  /** The CLI's redirect URI names localhost (Cognito's rule); the test reaches the listener at 127.0.0.1. */
  const onLoopback = (location: string) => location.replace('//localhost:', '//127.0.0.1:');

  /**
   * A browser: opens the authorize URL, lets `tamper` change the provider's redirect back, then
   * follows it to the listener. Resolves with the listener's page.
   */
  function browser(tamper: (back: URL) => void | Promise<void> = () => undefined) {
    const visits: Array<Promise<{ status: number; page: string }>> = [];
    const open = (url: string) => {
      visits.push((async () => {
        const authorize = await fetch(url, { redirect: 'manual' });
        expect(authorize.status).toBe(302);
        const back = new URL(onLoopback(authorize.headers.get('location')!));
        await tamper(back);
        const answer = await fetch(back);
        return { status: answer.status, page: await answer.text() };
      })());
    };
    return { open, visits };
  }

  function login(open: (url: string) => void, extra: Partial<BrowserLoginOptions> = {}) {
    const printed: string[] = [];
    const result = browserLogin(config, { dashboardUrl: 'https://trellis.example.com', open, print: line => printed.push(line), port: 0, ...extra });
    return { result, printed };
  }

  test('authorization code with PKCE: the ID token, its refresh token, expiry and user; the URL printed; the challenge is the verifier\'s S256', async () => {
    const { open, visits } = browser();
    const { result, printed } = login(open);
    const signedIn = await result;
    expect(await visits[0]).toEqual({ status: 200, page: expect.stringContaining('You can close this tab') });

    expect(signedIn).toEqual({ token: provider.issued.at(-1), refreshToken: expect.stringMatching(/^refresh-/), expiresAt: expect.any(String), user: 'ada@example.com' });
    expect(Date.parse(signedIn.expiresAt!) - Date.now()).toBeGreaterThan(3500_000);
    const asked = provider.seen.authorizeQueries.at(-1)!;
    expect(Object.fromEntries(asked)).toEqual({
      response_type: 'code',
      client_id: provider.clientId,
      redirect_uri: expect.stringMatching(/^http:\/\/localhost:\d+\/callback$/),
      scope: 'openid email',
      state: expect.stringMatching(/^[\w-]{32}$/),
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      code_challenge_method: 'S256',
    });
    const redeemed = provider.seen.tokenForms.at(-1)!;
    expect(redeemed.get('grant_type')).toBe('authorization_code');
    expect(redeemed.get('redirect_uri')).toBe(asked.get('redirect_uri'));
    expect(pkceChallenge(redeemed.get('code_verifier')!)).toBe(asked.get('code_challenge'));
    expect(printed.join('\n')).toContain(`${provider.authorizeUrl}?`);
    // The token is nowhere in what the person sees.
    expect(printed.join('\n')).not.toContain(signedIn.token);
  });

  test('an answer with another state is refused before any code is redeemed', async () => {
    const { open, visits } = browser(back => back.searchParams.set('state', 'someone-elses-state-aaaaaaaaaaaaa'));
    const redeemedBefore = provider.seen.tokenForms.length;
    const { result } = login(open);
    await expect(result).rejects.toMatchObject({ exitCode: EXIT.auth, message: expect.stringContaining('did not match the sign-in started here (state)') });
    expect(await visits[0]).toEqual({ status: 400, page: expect.stringContaining('does not belong to the sign-in the terminal started') });
    expect(provider.seen.tokenForms.length).toBe(redeemedBefore);
  });

  test('a code issued to another sign-in (another challenge) is refused by the provider: the verifier does not match', async () => {
    // The attacker's own authorize request for the same redirect URI, with a challenge of their own verifier.
    const { open } = browser(async back => {
      const foreign = await fetch(`${provider.authorizeUrl}?${new URLSearchParams({
        response_type: 'code',
        client_id: provider.clientId,
        redirect_uri: `http://localhost:${back.port}/callback`,
        state: 'x',
        code_challenge: pkceChallenge('a'.repeat(43)),
        code_challenge_method: 'S256',
      })}`, { redirect: 'manual' });
      back.searchParams.set('code', new URL(foreign.headers.get('location')!).searchParams.get('code')!);
    });
    const { result } = login(open);
    const error = await result.catch(caught => caught);
    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({ exitCode: EXIT.auth });
    expect(error.message).toBe('the identity provider refused the sign-in (HTTP 400, invalid_grant: code_verifier does not match the code_challenge)');
  });

  test('the provider\'s refusal in the redirect (?error) is reported with its description', async () => {
    const { open, visits } = browser(back => {
      back.searchParams.delete('code');
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', 'User is disabled.');
    });
    const { result } = login(open);
    await expect(result).rejects.toMatchObject({ exitCode: EXIT.auth, message: 'the sign-in was refused: User is disabled.' });
    expect((await visits[0]).page).toContain('User is disabled.');
  });

  test('without a port given it listens on 53682: the redirect URI is exactly the one the construct registers', async () => {
    const { open, visits } = browser();
    const { result } = login(open, { port: undefined });
    await result;
    await visits[0];
    expect(provider.seen.authorizeQueries.at(-1)!.get('redirect_uri')).toBe(TERMINAL_SIGN_IN_CALLBACK);
  });

  test('a taken port is named; the signal stops the wait and frees the port', async () => {
    const blocker = createServer();
    await new Promise<void>(resolve => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      await expect(login(() => undefined, { port }).result).rejects.toMatchObject({ exitCode: EXIT.auth, message: expect.stringContaining(`port ${port} of 127.0.0.1 is in use`) });
    } finally {
      await new Promise(resolve => blocker.close(resolve));
    }

    const controller = new AbortController();
    let opened: string | undefined;
    const waiting = login(url => opened = url, { port, signal: controller.signal }).result;
    await expect(fetch(`http://127.0.0.1:${port}/elsewhere`)).resolves.toMatchObject({ status: 404 });
    expect(opened).toBeDefined();
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ exitCode: EXIT.auth, message: 'sign-in cancelled' });
    await expect(fetch(`http://127.0.0.1:${port}/callback`)).rejects.toThrow();
  });

  describe('refreshSession', () => {
    test('renews an expired sign-in with the refresh_token grant, keeping the refresh token (the provider answers none)', async () => {
      const { open } = browser();
      const signedIn = await login(open).result;
      const stored = { url: 'https://trellis.example.com', apiUrl: config.apiUrl, webSocketUrl: config.webSocketUrl, ...signedIn };
      const renewed = await refreshSession(stored, config);
      expect(renewed).toEqual({ ...stored, token: provider.issued.at(-1), expiresAt: expect.any(String), user: 'ada@example.com' });
      expect(renewed.token).not.toBe(signedIn.token);
      expect(Object.fromEntries(provider.seen.tokenForms.at(-1)!)).toEqual({ grant_type: 'refresh_token', client_id: provider.clientId, refresh_token: signedIn.refreshToken });

      provider.revoke(signedIn.refreshToken!);
      await expect(refreshSession(stored, config)).rejects.toMatchObject({
        exitCode: EXIT.auth, message: 'the identity provider refused the sign-in (HTTP 400, invalid_grant: refresh token revoked or unknown)',
      });
    });

    test('without a refresh token, or for a GitHub sign-in, it is refused: sign in again', async () => {
      await expect(refreshSession({}, config)).rejects.toMatchObject({ exitCode: EXIT.auth, message: expect.stringContaining('run trellis login again') });
      const github: DashboardConfig = { ...config, auth: { kind: 'github', signInUrl: 'https://api.example.com/auth/github/sign-in' } };
      await expect(refreshSession({ refreshToken: 'r' }, github)).rejects.toMatchObject({ exitCode: EXIT.auth });
    });
  });
});
