import { JwtAuthenticator } from './jwt-authenticator';
import { LOG_SETTINGS } from '../../contract/log-settings';
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
  const issuer = env[LOG_SETTINGS.authIssuer];
  const audiences = (env[LOG_SETTINGS.authAudience] ?? '').split(',').map(value => value.trim()).filter(Boolean);
  if (!issuer || audiences.length === 0) return refuseEveryone;
  return new JwtAuthenticator({ issuer, audiences, jwksUrl: env[LOG_SETTINGS.authJwksUrl] || undefined }, undefined, undefined, log);
}
