import { createHash, generateKeyPairSync, randomUUID, sign, timingSafeEqual } from 'crypto';
import { JwtAuthenticator } from '../runtime/auth/jwt-authenticator';
import { Authenticator } from '../runtime/core/access';
import { UnauthorizedError } from '../runtime/core/errors';
import { Clock, systemClock } from '../runtime/core/ports';

/** A user of local mode; groups as an identity provider would send them (`admin`, `viewer:shop`). */
export interface LocalUser {
  readonly name: string;
  readonly password: string;
  readonly groups: readonly string[];
}

const ISSUER = 'https://trellis.local';
const AUDIENCE = 'trellis-local-dashboard';
const TOKEN_HOURS = 12;

/**
 * Local mode's identity provider: signs RS256 JWTs with a key made at start, and verifies
 * them with the same JwtAuthenticator AWS uses (its key set served in-process), so local
 * tokens go through exactly the checks Cognito tokens do.
 */
export class LocalIdentity {
  readonly authenticator: Authenticator;
  private readonly privateKey;
  private readonly kid = randomUUID();

  constructor(private readonly users: readonly LocalUser[], private readonly clock: Clock = systemClock) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = privateKey;
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: this.kid, alg: 'RS256', use: 'sig' };
    this.authenticator = new JwtAuthenticator(
      { issuer: ISSUER, audiences: [AUDIENCE] },
      async () => ({ keys: [jwk as never] }),
      clock,
    );
  }

  /** A token for a user whose password matches; the same error for an unknown user and a wrong password. */
  signIn(name: unknown, password: unknown): string {
    const user = typeof name === 'string' ? this.users.find(candidate => candidate.name === name) : undefined;
    const given = typeof password === 'string' ? password : '';
    // Compare digests in constant time, and do it even for an unknown user.
    const matches = timingSafeEqual(digest(given), digest(user?.password ?? randomUUID()));
    if (!user || !matches) throw new UnauthorizedError('unknown user or wrong password');
    return this.token(user);
  }

  /** A token without a password (tests and the `trellis` command's own calls). */
  token(user: LocalUser): string {
    const now = Math.floor(this.clock.now().getTime() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', kid: this.kid };
    const claims = { iss: ISSUER, aud: AUDIENCE, sub: `local:${user.name}`, name: user.name, groups: user.groups, iat: now, exp: now + TOKEN_HOURS * 3600 };
    const signed = `${base64url(header)}.${base64url(claims)}`;
    return `${signed}.${sign('RSA-SHA256', Buffer.from(signed), this.privateKey).toString('base64url')}`;
  }
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
