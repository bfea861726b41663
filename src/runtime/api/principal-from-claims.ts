import { Principal, principalFromClaims } from '../core/access';
import { isPlainObject } from '../core/plain-object';

export { principalFromClaims } from '../core/access';

/**
 * Claims both the token and API Gateway's copy must carry, equal. The JWT authorizer always
 * checks `exp`; `iss` and `sub` say whose token it is.
 */
const REQUIRED_CLAIMS = ['iss', 'sub', 'exp'] as const;
/** Claims that, when either side has them, must be on both sides and equal. */
const MATCHED_CLAIMS = [...REQUIRED_CLAIMS, 'iat', 'nbf', 'jti', 'auth_time', 'token_use', 'client_id', 'origin_jti', 'event_id'] as const;

/**
 * The caller of an HTTP API request whose `Authorization` header API Gateway's JWT authorizer has
 * verified. The authorizer hands claims on flattened to strings (a group list becomes
 * `"[release admin]"`, which cannot be told apart from one group of that name), so the claims come
 * from the verified token itself, as the issuer wrote them: its payload segment, decoded. It must
 * be the token the authorizer saw: the identifying claims agree with the authorizer's, or there is
 * no principal (the API answers 401).
 */
export function principalFromHttpApi(
  authorization: string | undefined,
  authorizerClaims: Readonly<Record<string, unknown>> | undefined,
  log: (entry: Record<string, unknown>) => void,
): Principal | undefined {
  if (!authorizerClaims) return undefined;
  const claims = claimsOfBearer(authorization);
  if (!claims) {
    log({ message: 'request refused', reason: 'the Authorization header holds no readable JWT' });
    return undefined;
  }
  const mismatch = MATCHED_CLAIMS.find(name => {
    const mine = claims[name];
    const theirs = authorizerClaims[name];
    if (mine === undefined && theirs === undefined) return (REQUIRED_CLAIMS as readonly string[]).includes(name);
    return !sameScalar(mine, theirs);
  });
  if (mismatch) {
    log({ message: 'request refused', reason: `the token in the Authorization header is not the one the authorizer verified (claim ${mismatch})` });
    return undefined;
  }
  return principalFromClaims(claims, log);
}

/** The payload of `Bearer <jwt>` (or a bare `<jwt>`, which the JWT authorizer accepts too), or undefined. */
function claimsOfBearer(authorization: string | undefined): Record<string, unknown> | undefined {
  const token = /^(?:Bearer +)?([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i.exec(authorization?.trim() ?? '')?.[1];
  if (!token) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
    return isPlainObject(payload) ? payload : undefined;
  } catch {
    return undefined;
  }
}

/** API Gateway passes every claim as a string; the token has numbers and strings. Arrays and objects never match. */
function sameScalar(mine: unknown, theirs: unknown): boolean {
  const scalar = (value: unknown) => typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
  return scalar(mine) && scalar(theirs) && String(mine) === String(theirs);
}
