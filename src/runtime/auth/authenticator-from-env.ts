import { JwtAuthenticator } from './jwt-authenticator';
import { AUTH_ENV } from '../../contract/function-environment';
import { Authenticator } from '../core/access';
import { UnauthorizedError } from '../core/errors';

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
