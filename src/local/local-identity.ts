import { createHash, createPrivateKey, generateKeyPairSync, randomUUID, timingSafeEqual } from 'crypto';
import { Jwk, JwtAuthenticator } from '../runtime/auth/jwt-authenticator';
import { SigningKey, signJwt, signingKey } from '../runtime/auth/jwt-signer';
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

/** Another issuer of this machine whose tokens the local server accepts too (sign in with GitHub). */
export interface TrustedIssuer {
  readonly issuer: string;
  readonly audience: string;
  /** Its key set, read when a token needs it. */
  keys(): Promise<{ keys: Jwk[] }>;
}

/**
 * Local mode's identity provider: signs RS256 JWTs with a key made at start, and verifies
 * them with the same JwtAuthenticator AWS uses (its key set served in-process), so local
 * tokens go through exactly the checks Cognito tokens do.
 */
export class LocalIdentity {
  /** One verifier for every token the local server takes (see `trust`). */
  readonly authenticator: Authenticator = { authenticate: token => this.verifier.authenticate(token) };
  private readonly key: SigningKey;
  private readonly clock: Clock;
  private verifier: JwtAuthenticator;

  /**
   * `privateKeyPem`: the signing key kept in the data directory, so tokens (a browser's, a
   * terminal's `trellis login`) outlive a restart; without it, a key made now.
   */
  constructor(private readonly users: readonly LocalUser[], options: { readonly clock?: Clock; readonly privateKeyPem?: string } = {}) {
    this.clock = options.clock ?? systemClock;
    this.key = signingKey(options.privateKeyPem === undefined
      ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
      : createPrivateKey(options.privateKeyPem));
    this.verifier = new JwtAuthenticator({ issuer: ISSUER, audiences: [AUDIENCE] }, async () => ({ keys: [this.key.jwk] }), this.clock);
  }

  /**
   * Accept `other`'s tokens as well, through the same verifier: one key set holding both issuers'
   * keys, either issuer and either audience accepted. Called before the server answers requests.
   */
  trust(other: TrustedIssuer): void {
    this.verifier = new JwtAuthenticator(
      { issuer: ISSUER, otherIssuers: [other.issuer], audiences: [AUDIENCE, other.audience] },
      async () => ({ keys: [this.key.jwk, ...(await other.keys()).keys] }),
      this.clock,
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
    const claims = { iss: ISSUER, aud: AUDIENCE, sub: `local:${user.name}`, name: user.name, groups: user.groups, iat: now, exp: now + TOKEN_HOURS * 3600 };
    return signJwt(claims, this.key);
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
