import { KeyObject, createHash, sign } from 'crypto';
import { Jwk } from './jwt-authenticator';

/** An RSA key Trellis signs its own tokens with, and the public half as its key set publishes it. */
export interface SigningKey {
  readonly privateKey: KeyObject;
  /** RFC 7638 thumbprint of the public key: the same key has the same `kid` in every process. */
  readonly kid: string;
  readonly jwk: Jwk & { readonly use: 'sig' };
}

/** The signing key of an RSA private key (a KeyObject or PEM). */
export function signingKey(privateKey: KeyObject): SigningKey {
  const { n, e } = privateKey.export({ format: 'jwk' });
  // RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace.
  const kid = createHash('sha256').update(JSON.stringify({ e, kty: 'RSA', n })).digest('base64url');
  return { privateKey, kid, jwk: { kty: 'RSA', n, e, kid, alg: 'RS256', use: 'sig' } };
}

/** An RS256 JWT of `claims`, its header naming the key; JwtAuthenticator verifies it against the key's JWK. */
export function signJwt(claims: Readonly<Record<string, unknown>>, key: Pick<SigningKey, 'privateKey' | 'kid'>): string {
  const signed = `${base64url({ alg: 'RS256', typ: 'JWT', kid: key.kid })}.${base64url(claims)}`;
  return `${signed}.${sign('RSA-SHA256', Buffer.from(signed), key.privateKey).toString('base64url')}`;
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
