import { createHash, randomBytes, timingSafeEqual } from 'crypto';

/**
 * PKCE (RFC 7636), S256 only: the CLI keeps a random verifier and sends its SHA-256 as the
 * challenge; whoever redeems the code must show the verifier. One implementation for both ends.
 */

/** 43–128 characters of the unreserved set (RFC 7636 §4.1). */
const VERIFIER_FORM = /^[A-Za-z0-9._~-]{43,128}$/;
/** A SHA-256 in base64url: 43 characters. */
const CHALLENGE_FORM = /^[\w-]{43}$/;

/** A fresh verifier: 32 random bytes, base64url (43 characters). */
export function pkceVerifier(): string {
  return randomBytes(32).toString('base64url');
}

/** The S256 challenge of a verifier. */
export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

export function isPkceChallenge(value: string): boolean {
  return CHALLENGE_FORM.test(value);
}

/** True when `verifier` is well-formed and its S256 challenge is `challenge` (compared in constant time). */
export function pkceVerifies(verifier: string, challenge: string): boolean {
  if (!VERIFIER_FORM.test(verifier) || !isPkceChallenge(challenge)) return false;
  const expected = Buffer.from(challenge, 'ascii');
  const actual = Buffer.from(pkceChallenge(verifier), 'ascii');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
