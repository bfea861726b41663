import { createVerify, randomBytes } from 'crypto';
import { IncomingHttpHeaders } from 'http';
import { InstallationToken, Level, StandInState, StoredApp, UserToken } from './state';

/** What GitHub answers a request it does not accept: status and message. */
export class Refusal extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Installation tokens last an hour, user tokens eight, as on GitHub. */
export const INSTALLATION_TOKEN_MS = 60 * 60_000;
export const USER_TOKEN_MS = 8 * 60 * 60_000;

/** GitHub accepts App JWTs valid for at most 10 minutes. */
const MAX_JWT_LIFETIME_SECONDS = 600;
/** Leeway for `iat` ahead of the stand-in's clock. */
const CLOCK_LEEWAY_SECONDS = 60;

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A token shaped like GitHub's (`ghs_` installation, `ghu_` user, then 36 characters), so credential masks recognise it. */
export function newToken(prefix: 'ghs' | 'ghu'): string {
  return `${prefix}_${randomText(36)}`;
}

export function randomText(length: number): string {
  return [...randomBytes(length)].map(byte => ALPHANUMERIC[byte % ALPHANUMERIC.length]).join('');
}

/** The bearer credential of a request (`Bearer x` or `token x`), if any. */
export function bearer(headers: IncomingHttpHeaders): string | undefined {
  const match = /^(?:bearer|token)\s+(\S+)$/i.exec(headers.authorization ?? '');
  return match?.[1];
}

/** The App a request authenticates as: a JWT signed with its key, issued by its id, unexpired and at most 10 minutes long. */
export function verifyAppJwt(state: StandInState, jwt: string | undefined, now: Date): StoredApp {
  const app = state.app;
  const parts = (jwt ?? '').split('.');
  if (!app || parts.length !== 3) throw new Refusal(401, 'A JSON web token could not be decoded');
  const [header, payload, signature] = parts;
  let claims: { iat?: unknown; exp?: unknown; iss?: unknown };
  try {
    const alg = (JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown }).alg;
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (alg !== 'RS256') throw new Error('not RS256');
  } catch {
    throw new Refusal(401, 'A JSON web token could not be decoded');
  }
  const signed = createVerify('RSA-SHA256').update(`${header}.${payload}`).verify(app.publicKey, Buffer.from(signature, 'base64url'));
  if (!signed || String(claims.iss) !== String(app.id)) {
    throw new Refusal(401, '\'Issuer\' claim (\'iss\') must be an Integer and the JWT must be signed with the App\'s key');
  }
  const seconds = now.getTime() / 1000;
  if (typeof claims.exp !== 'number' || claims.exp <= seconds) {
    throw new Refusal(401, '\'Expiration time\' claim (\'exp\') must be a numeric value representing the future time at which the assertion expires');
  }
  if (typeof claims.iat !== 'number' || claims.iat > seconds + CLOCK_LEEWAY_SECONDS) {
    throw new Refusal(401, '\'Issued at\' claim (\'iat\') must be an Integer representing the time that the assertion was issued');
  }
  if (claims.exp - claims.iat > MAX_JWT_LIFETIME_SECONDS) {
    throw new Refusal(401, '\'Expiration time\' claim (\'exp\') is too far in the future');
  }
  return app;
}

/** The unexpired installation token of a request. */
export function installationToken(state: StandInState, token: string | undefined, now: Date): InstallationToken {
  const found = token === undefined ? undefined : state.installationTokens.find(held => held.token === token);
  if (!found || Date.parse(found.expiresAt) <= now.getTime()) throw new Refusal(401, 'Bad credentials');
  return found;
}

/** The unexpired user token of a request. */
export function userToken(state: StandInState, token: string | undefined, now: Date): UserToken {
  const found = token === undefined ? undefined : state.userTokens.find(held => held.token === token);
  if (!found || Date.parse(found.expiresAt) <= now.getTime()) {
    if (token !== undefined && state.installationTokens.some(held => held.token === token)) {
      throw new Refusal(403, 'Resource not accessible by integration');
    }
    throw new Refusal(401, 'Requires authentication');
  }
  return found;
}

/** `granted` is at least `needed` (write includes read). */
export function allows(granted: Level | undefined, needed: Level): boolean {
  return granted === 'write' || granted === needed;
}

/**
 * What a repository route checks: a public repository may be read without a token; otherwise an
 * unexpired installation token that covers the repository (else 404: GitHub does not say a private
 * repository exists) with the permission needed (else 403).
 */
export function requireRepositoryAccess(
  state: StandInState, token: string | undefined, fullName: string, permission: string, level: Level, now: Date,
): void {
  const repository = state.repositories[fullName];
  if (!repository) throw new Refusal(404, 'Not Found');
  if (token === undefined) {
    if (!repository.private && level === 'read') return;
    throw new Refusal(repository.private ? 404 : 401, repository.private ? 'Not Found' : 'Requires authentication');
  }
  const held = installationToken(state, token, now);
  if (!held.repositories.includes(fullName)) {
    if (!repository.private && level === 'read') return;
    throw new Refusal(repository.private ? 404 : 403, repository.private ? 'Not Found' : 'Resource not accessible by integration');
  }
  // Every installation token may read its repositories' metadata.
  const granted = permission === 'metadata' && level === 'read' ? 'read' : held.permissions[permission];
  if (!allows(granted, level)) throw new Refusal(403, 'Resource not accessible by integration');
}

/** Does `token` let git read `fullName`: an unexpired installation token covering it with contents:read. */
export function tokenCovers(state: StandInState, token: string, fullName: string, now: Date): boolean {
  const held = state.installationTokens.find(candidate => candidate.token === token);
  return held !== undefined && Date.parse(held.expiresAt) > now.getTime()
    && held.repositories.includes(fullName) && allows(held.permissions.contents, 'read');
}
