import { ApiTokenAuthenticator } from './api-token-authenticator';
import { JwtAuthenticator } from './jwt-authenticator';
import { AUTH_ENV } from '../../contract/function-environment';
import { Authenticator } from '../core/access';
import { UnauthorizedError } from '../core/errors';
import { ApiTokenStore, systemClock } from '../core/ports';

/** Without an identity provider nobody is let in: fail closed. */
export const refuseEveryone: Authenticator = {
  authenticate: async () => {
    throw new UnauthorizedError('no identity provider is configured for this installation');
  },
};

/** One JSON object per line, as the handlers log. */
function logJsonLine(entry: Record<string, unknown>): void {
  console.log(JSON.stringify(entry));
}

export function authenticatorFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  log: (entry: Record<string, unknown>) => void = logJsonLine,
): Authenticator {
  const issuer = env[AUTH_ENV.issuer];
  const audiences = (env[AUTH_ENV.audience] ?? '').split(',').map(value => value.trim()).filter(Boolean);
  if (!issuer || audiences.length === 0) return refuseEveryone;
  return new JwtAuthenticator({ issuer, audiences, jwksUrl: env[AUTH_ENV.jwksUrl] || undefined }, undefined, undefined, log);
}

/**
 * What the control API and the live-log socket verify credentials with in AWS: API tokens
 * against the table, JWTs against the identity provider's keys (AUTH_ENV).
 */
export function requestAuthenticatorFromEnvironment(
  tokens: ApiTokenStore,
  env: NodeJS.ProcessEnv = process.env,
  log: (entry: Record<string, unknown>) => void = logJsonLine,
): Authenticator {
  return new ApiTokenAuthenticator(tokens, authenticatorFromEnvironment(env, log), systemClock, log);
}
