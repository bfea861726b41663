import type { BrowserLoginResult } from './browser-login';
import { CliError, EXIT } from './exit-codes';
import { printable } from '../runtime/core/names';

/** An OAuth token endpoint's answer (RFC 6749 §5.1; `id_token` from OpenID Connect). */
interface TokenAnswer {
  readonly id_token?: string;
  readonly access_token?: string;
  readonly refresh_token?: string;
  readonly expires_in?: number;
  readonly error?: string;
  readonly error_description?: string;
}

/**
 * A request to the identity provider's token endpoint (a public client: no secret, the code's
 * PKCE verifier or the refresh token is the proof). Keeps the token the dashboard sends: the ID
 * token (its `aud` is the client id and it carries the groups), else the access token.
 */
export async function requestTokens(tokenUrl: string, form: Record<string, string>): Promise<BrowserLoginResult> {
  let response: Response;
  try {
    response = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept': 'application/json' },
      body: new URLSearchParams(form).toString(),
      redirect: 'error',
    });
  } catch (error) {
    throw new CliError(`cannot reach the identity provider's token endpoint ${tokenUrl}: ${(error as Error).message}`);
  }
  const answer = await response.json().catch(() => ({})) as TokenAnswer;
  if (!response.ok) {
    // Only the error's own fields: the body is not echoed.
    const reason = [answer.error, answer.error_description].filter(part => typeof part === 'string').map(part => printable(part!, 200)).join(': ');
    throw new CliError(`the identity provider refused the sign-in (HTTP ${response.status}${reason ? `, ${reason}` : ''})`, EXIT.auth);
  }
  const token = answer.id_token ?? answer.access_token;
  if (typeof token !== 'string' || token === '') throw new CliError('the identity provider answered no token', EXIT.auth);
  const claims = jwtClaims(token);
  const expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000
    : typeof answer.expires_in === 'number' ? Date.now() + answer.expires_in * 1000 : undefined;
  const user = [claims.email, claims.name, claims['cognito:username'], claims.preferred_username, claims.sub].find(value => typeof value === 'string');
  return {
    token,
    ...typeof answer.refresh_token === 'string' ? { refreshToken: answer.refresh_token } : {},
    ...expiresAt === undefined ? {} : { expiresAt: new Date(expiresAt).toISOString() },
    ...user === undefined ? {} : { user: user as string },
  };
}

/** A JWT's claims, unverified (the API verifies it; this only reads who and until when); {} for anything else. */
export function jwtClaims(token: string): Record<string, unknown> {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null ? claims : {};
  } catch {
    return {};
  }
}
