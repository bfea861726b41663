import { ApiError, readJson } from './api';
import { expiresWithin } from './token';
import { DashboardAuth } from '../runtime/core/api-types';

type OidcAuth = Extract<DashboardAuth, { kind: 'oidc' }>;

const TOKEN_KEY = 'trellis.token';
const PKCE_KEY = 'trellis.pkce';

/** The session's JWT: sessionStorage, so it dies with the tab and is not shared between tabs. */
export function storedToken(): string | undefined {
  const token = sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  if (token && expiresWithin(token, 0)) {
    sessionStorage.removeItem(TOKEN_KEY);
    return undefined;
  }
  return token;
}

export function storeToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** Where the identity provider sends the browser back: this page, without query or hash. */
function redirectUri(): string {
  return `${location.origin}${location.pathname}`;
}

const GITHUB_RETURN_KEY = 'trellis.github-return';

/** Sign in with GitHub: the control API's sign-in route, which sends the browser back to this page with `#token=…`. */
export function startGitHubSignIn(signInUrl: string): void {
  // Come back to the page the user was on; also marks a sign-in as started in this tab.
  sessionStorage.setItem(GITHUB_RETURN_KEY, location.hash);
  const url = new URL(signInUrl);
  url.searchParams.set('return', redirectUri());
  location.assign(url.toString());
}

/**
 * On the way back from sign in with GitHub (`#token=…`): keeps the token and puts back the page
 * the user was on. Only when this tab started a sign-in: a link carrying someone else's token
 * signs nobody in. Returns false when this page load is not such a return.
 */
export function completeGitHubSignIn(): boolean {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  if (!token) return false;
  const returnTo = sessionStorage.getItem(GITHUB_RETURN_KEY);
  sessionStorage.removeItem(GITHUB_RETURN_KEY);
  // Drop the token from the address bar (and the history) whatever happens next.
  history.replaceState(null, '', `${location.pathname}${returnTo ?? ''}`);
  if (returnTo === null) return false;
  storeToken(token);
  return true;
}

/**
 * OIDC authorization code flow with PKCE (RFC 7636): a random verifier kept in
 * sessionStorage, its SHA-256 as the challenge, `state` against forged callbacks.
 */
export async function startOidcSignIn(auth: OidcAuth): Promise<void> {
  const verifier = randomString(48);
  const state = randomString(24);
  // Come back to the page the user was on.
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, returnTo: location.hash }));
  const challenge = base64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  const url = new URL(auth.authorizeUrl);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: auth.clientId,
    redirect_uri: redirectUri(),
    scope: auth.scopes.join(' '),
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

/**
 * On the way back from the identity provider (`?code=…&state=…`): exchanges the code for
 * tokens and stores the ID token (it carries `aud` = client id and the user's groups).
 * Returns false when this page load is not a callback.
 */
export async function completeOidcSignIn(auth: OidcAuth): Promise<boolean> {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  const error = params.get('error');
  if (!code && !error) return false;
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) ?? 'null') as { verifier: string; state: string; returnTo: string } | null;
  sessionStorage.removeItem(PKCE_KEY);
  // Drop ?code=… from the address bar whatever happens next.
  history.replaceState(null, '', `${location.pathname}${saved?.returnTo ?? ''}`);
  if (error) throw new ApiError(401, error, params.get('error_description') ?? `The identity provider refused the sign-in (${error}).`);
  if (!saved || params.get('state') !== saved.state) throw new ApiError(401, 'state', 'The sign-in answer does not match a sign-in started here. Sign in again.');
  const response = await fetch(auth.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: auth.clientId,
      code: code!,
      redirect_uri: redirectUri(),
      code_verifier: saved.verifier,
    }).toString(),
  });
  const tokens = await readJson<{ id_token?: string; access_token?: string }>(response);
  const token = tokens.id_token ?? tokens.access_token;
  if (!token) throw new ApiError(401, 'token', 'The identity provider returned no token.');
  storeToken(token);
  return true;
}

/** Signs out here and, when the provider has a logout endpoint, there too (then the page navigates away). */
export function signOut(auth: DashboardAuth): void {
  forgetToken();
  if (auth.kind === 'oidc' && auth.logoutUrl) {
    const url = new URL(auth.logoutUrl);
    // Cognito reads client_id + logout_uri; OIDC RP-initiated logout reads post_logout_redirect_uri.
    url.searchParams.set('client_id', auth.clientId);
    url.searchParams.set('logout_uri', redirectUri());
    url.searchParams.set('post_logout_redirect_uri', redirectUri());
    location.assign(url.toString());
  }
}

function randomString(bytes: number): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
