import { KeyObject, createPublicKey, verify } from 'crypto';
import { Authenticator, Principal, principalFromClaims } from '../core/access';
import { UnauthorizedError } from '../core/errors';
import { isPlainObject } from '../core/plain-object';
import { Clock, systemClock } from '../core/ports';

/** Which tokens are accepted: a Cognito user pool's or any OIDC issuer's (RS256). */
export interface JwtSettings {
  /** `iss` of accepted tokens, e.g. https://cognito-idp.<region>.amazonaws.com/<pool id>. */
  readonly issuer: string;
  /**
   * Further accepted `iss` values, whose keys are in the same key set: local mode's server
   * verifies its own tokens and those of sign in with GitHub in one pass. @default none
   */
  readonly otherIssuers?: readonly string[];
  /** Accepted `aud` (ID tokens) or `client_id` (Cognito access tokens). */
  readonly audiences: readonly string[];
  /** @default `<issuer>/.well-known/jwks.json` */
  readonly jwksUrl?: string;
}

export interface Jwk {
  readonly kid?: string;
  readonly kty: string;
  readonly alg?: string;
  readonly n?: string;
  readonly e?: string;
}

/** Fetches the issuer's key set; injectable so tests can serve their own. */
export type JwksFetcher = (url: string) => Promise<{ keys: Jwk[] }>;

const fetchJwks: JwksFetcher = async url => {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`JWKS ${url} answered ${response.status}`);
  return await response.json() as { keys: Jwk[] };
};

/** Keys are kept this long; an unknown `kid` refetches at most this often (key rotation). */
const KEYS_TTL_MS = 10 * 60 * 1000;
const REFETCH_MIN_MS = 30 * 1000;
/** Clock skew allowed on `exp` and `nbf`. */
const LEEWAY_SECONDS = 30;

/**
 * Verifies RS256 JWTs with node's crypto (no library): signature against the issuer's JWKS,
 * then `iss`, `exp`, `nbf`, audience. The claims become the caller through principalFromClaims,
 * the function the control API uses too.
 */
export class JwtAuthenticator implements Authenticator {
  private keys = new Map<string, KeyObject>();
  private fetchedAt = 0;
  /** One fetch at a time: concurrent first uses share it. */
  private fetching?: Promise<void>;

  constructor(
    private readonly settings: JwtSettings,
    private readonly fetcher: JwksFetcher = fetchJwks,
    private readonly clock: Clock = systemClock,
    /** Hears about groups that grant nothing because their name is refused. */
    private readonly log: (entry: Record<string, unknown>) => void = () => undefined,
  ) {}

  async authenticate(token: string | undefined): Promise<Principal> {
    if (!token) throw new UnauthorizedError('a token is required');
    const parts = token.split('.');
    if (parts.length !== 3) throw new UnauthorizedError('the token is not a JWT');
    const header = decodeJson(parts[0]);
    if (header.alg !== 'RS256') throw new UnauthorizedError('the token must be signed with RS256');
    const key = await this.key(typeof header.kid === 'string' ? header.kid : '');
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
    if (!verify('RSA-SHA256', signed, key, Buffer.from(parts[2], 'base64url'))) throw new UnauthorizedError('the token signature does not verify');
    return this.principal(decodeJson(parts[1]));
  }

  private principal(claims: Record<string, unknown>): Principal {
    const now = Math.floor(this.clock.now().getTime() / 1000);
    if (![this.settings.issuer, ...this.settings.otherIssuers ?? []].includes(claims.iss as string)) throw new UnauthorizedError('the token is from another issuer');
    if (typeof claims.exp !== 'number' || claims.exp + LEEWAY_SECONDS < now) throw new UnauthorizedError('the token has expired');
    if (typeof claims.nbf === 'number' && claims.nbf - LEEWAY_SECONDS > now) throw new UnauthorizedError('the token is not valid yet');
    const audiences = [claims.aud, claims.client_id].flat().filter((value): value is string => typeof value === 'string');
    if (!audiences.some(audience => this.settings.audiences.includes(audience))) throw new UnauthorizedError('the token is for another audience');
    const principal = principalFromClaims(claims, this.log);
    if (!principal) throw new UnauthorizedError('the token has no subject');
    return principal;
  }

  private async key(kid: string): Promise<KeyObject> {
    const now = this.clock.now().getTime();
    const stale = now - this.fetchedAt > KEYS_TTL_MS;
    const unknownKid = !this.keys.has(kid) && now - this.fetchedAt > REFETCH_MIN_MS;
    if (stale || unknownKid) {
      this.fetching ??= this.fetchKeys(now).finally(() => {
        this.fetching = undefined;
      });
      await this.fetching;
    }
    const key = this.keys.get(kid);
    if (!key) throw new UnauthorizedError('the token was signed with an unknown key');
    return key;
  }

  private async fetchKeys(now: number): Promise<void> {
    const url = this.settings.jwksUrl ?? `${this.settings.issuer.replace(/\/$/, '')}/.well-known/jwks.json`;
    const { keys } = await this.fetcher(url);
    this.keys = new Map(keys
      .filter(jwk => jwk.kty === 'RSA' && (jwk.alg === undefined || jwk.alg === 'RS256'))
      .map(jwk => [jwk.kid ?? '', createPublicKey({ key: jwk as never, format: 'jwk' })]));
    this.fetchedAt = now;
  }
}

function decodeJson(part: string): Record<string, unknown> {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (isPlainObject(value)) return value;
  } catch {
    // falls through
  }
  throw new UnauthorizedError('the token is malformed');
}
