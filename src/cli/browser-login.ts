import { randomBytes } from 'crypto';
import { CliError, EXIT } from './exit-codes';
import { CALLBACK_PATH, listenForCallback } from './loopback-callback';
import { jwtClaims, requestTokens } from './oidc-tokens';
import { openInBrowser } from './open-browser';
import { askOnTerminal } from './terminal-prompt';
import { TERMINAL_SIGN_IN_PORT } from '../contract/terminal-sign-in';
import { DashboardAuth, DashboardConfig } from '../runtime/core/api-types';
import { printable } from '../runtime/core/names';
import { pkceChallenge, pkceVerifier } from '../runtime/core/pkce';
import { SignInToken } from '../runtime/core/terminal-sign-in';

/** What `trellis login` keeps after a sign-in (the credentials file's entry takes these fields). */
export interface BrowserLoginResult {
  /** The bearer token the API takes: the ID token for OIDC (as the dashboard sends), Trellis' own JWT for GitHub. */
  readonly token: string;
  /** OIDC only: renews `token` through refreshSession when it expires. */
  readonly refreshToken?: string;
  /** ISO time `token` expires (its `exp`), when known. */
  readonly expiresAt?: string;
  /** Who signed in, for `trellis login`'s confirmation line. */
  readonly user?: string;
}

export interface BrowserLoginOptions {
  /** The dashboard's URL (`trellis login --url`): local mode's password sign-in is there. */
  readonly dashboardUrl: string;
  /** Opens the sign-in page. @default the system's browser (xdg-open, open, rundll32), never through a shell */
  readonly open?: (url: string) => void;
  /** Tells the person what to do (the URL to open is always printed). */
  readonly print: (line: string) => void;
  /** The loopback listener's port. @default 53682 for OIDC (the provider must know the redirect URI), any free port for GitHub */
  readonly port?: number;
  /** Stops waiting for the browser (the listener closes). */
  readonly signal?: AbortSignal;
}

type OidcAuth = Extract<DashboardAuth, { kind: 'oidc' }>;

/**
 * Signs in through the browser the way the installation's `config.json` says, and answers the
 * token to keep. The browser comes back to a listener on 127.0.0.1 (RFC 8252); the token never
 * travels in a URL:
 *  - `oidc` (Cognito or any issuer): the authorization code flow with PKCE (S256) and `state`,
 *    back to `http://localhost:53682/callback` (the app client must list it), the code redeemed
 *    at the token endpoint;
 *  - `github` (and local mode with its GitHub stand-in): the control API's sign-in with a
 *    loopback return and a PKCE challenge; its one-use code redeemed at `POST /auth/github/token`;
 *  - `local` without GitHub: user and password asked on the terminal (no echo).
 */
export async function browserLogin(config: DashboardConfig, options: BrowserLoginOptions): Promise<BrowserLoginResult> {
  const auth = config.auth;
  switch (auth.kind) {
    case 'oidc': return oidcLogin(auth, options);
    case 'github': return gitHubLogin(auth.signInUrl, options);
    case 'local': return auth.githubSignInUrl ? gitHubLogin(auth.githubSignInUrl, options) : passwordLogin(options);
  }
}

/**
 * A new token for a stored sign-in whose token expired: OIDC's refresh_token grant (the refresh
 * token is kept when the provider answers none, as Cognito does). Refused (CliError, auth) when
 * the sign-in has no refresh token or the installation signs in otherwise (then: sign in again).
 */
export async function refreshSession<T extends { readonly refreshToken?: string }>(entry: T, config: DashboardConfig)
  : Promise<T & BrowserLoginResult> {
  const auth = config.auth;
  if (auth.kind !== 'oidc' || !entry.refreshToken) {
    throw new CliError('this sign-in cannot be renewed without the browser: run trellis login again', EXIT.auth);
  }
  const renewed = await requestTokens(auth.tokenUrl, { grant_type: 'refresh_token', client_id: auth.clientId, refresh_token: entry.refreshToken });
  return { ...entry, ...renewed, refreshToken: renewed.refreshToken ?? entry.refreshToken };
}

async function oidcLogin(auth: OidcAuth, options: BrowserLoginOptions): Promise<BrowserLoginResult> {
  const verifier = pkceVerifier();
  const state = randomState();
  const listener = await listenForCallback({ port: options.port ?? TERMINAL_SIGN_IN_PORT, state, signal: options.signal });
  try {
    // `localhost`: Cognito takes http for it alone, and compares the whole URI with the app client's.
    const redirectUri = `http://localhost:${listener.port}${CALLBACK_PATH}`;
    const url = new URL(auth.authorizeUrl);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: auth.clientId,
      redirect_uri: redirectUri,
      scope: auth.scopes.join(' '),
      state,
      code_challenge: pkceChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString();
    sendToBrowser(url.toString(), options);
    const code = await listener.code;
    return await requestTokens(auth.tokenUrl, { grant_type: 'authorization_code', client_id: auth.clientId, code, redirect_uri: redirectUri, code_verifier: verifier });
  } finally {
    listener.close();
  }
}

async function gitHubLogin(signInUrl: string, options: BrowserLoginOptions): Promise<BrowserLoginResult> {
  const verifier = pkceVerifier();
  const state = randomState();
  const listener = await listenForCallback({ port: options.port ?? 0, state, signal: options.signal });
  try {
    const url = new URL(signInUrl);
    url.searchParams.set('return', `http://127.0.0.1:${listener.port}${CALLBACK_PATH}?state=${state}`);
    url.searchParams.set('code_challenge', pkceChallenge(verifier));
    url.searchParams.set('code_challenge_method', 'S256');
    sendToBrowser(url.toString(), options);
    const code = await listener.code;
    // Beside the sign-in route: `<api>/auth/github/sign-in` → `<api>/auth/github/token`.
    const signedIn = await postJson<SignInToken>(new URL('token', signInUrl).toString(), { code, code_verifier: verifier });
    return { token: signedIn.token, expiresAt: signedIn.expiresAt, user: signedIn.user };
  } finally {
    listener.close();
  }
}

/** Local mode without GitHub: its user and password, asked on the terminal; a script gives them with --user and --password-stdin. */
async function passwordLogin(options: BrowserLoginOptions): Promise<BrowserLoginResult> {
  if (!process.stdin.isTTY) {
    throw new CliError(`${options.dashboardUrl} signs in with a user and password: `
      + `trellis login --url ${options.dashboardUrl} --user <name> --password-stdin (the password on stdin)`, EXIT.usage);
  }
  const user = await askOnTerminal('User: ', false);
  const password = await askOnTerminal('Password: ', true);
  return passwordSignIn(options.dashboardUrl, user, password);
}

/** Local mode's password sign-in (`POST <dashboard>/auth/local/sign-in`): its token and when it expires. */
export async function passwordSignIn(dashboardUrl: string, user: string, password: string): Promise<BrowserLoginResult> {
  const { token } = await postJson<{ token: string }>(`${dashboardUrl.replace(/\/+$/, '')}/auth/local/sign-in`, { user, password });
  const claims = jwtClaims(token);
  return { token, user, ...typeof claims.exp === 'number' ? { expiresAt: new Date(claims.exp * 1000).toISOString() } : {} };
}

/** Always prints the URL (no browser may open: a server, a container); opens it too. */
function sendToBrowser(url: string, options: BrowserLoginOptions): void {
  options.print('Sign in in your browser. If it does not open, open this URL:');
  options.print(`  ${url}`);
  (options.open ?? openInBrowser)(url);
}

/** A sign-in's POST: the answer holds a token, so errors name the URL and the API's reason only. */
async function postJson<T>(url: string, body: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), redirect: 'error' });
  } catch (error) {
    throw new CliError(`cannot reach ${url}: ${(error as Error).message}`);
  }
  const answer = await response.json().catch(() => undefined) as (T & { reason?: unknown }) | undefined;
  if (!response.ok || !answer) {
    const reason = typeof answer?.reason === 'string' ? `: ${printable(answer.reason, 300)}` : '';
    throw new CliError(`the sign-in was refused (HTTP ${response.status})${reason}`, response.status === 401 || response.status === 403 ? EXIT.auth : EXIT.failed);
  }
  return answer;
}

function randomState(): string {
  return randomBytes(24).toString('base64url');
}
