import { createHash, timingSafeEqual } from 'crypto';

/**
 * What is kept of a secret that is checked but never shown again (a build's ingest token, an API
 * token's secret): its SHA-256, hex. The secrets are 32 random bytes, so no salt or slow hash is needed.
 */
export function secretDigest(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Whether `secret` is the one whose digest is `digest`, in constant time over equal-length digests. */
export function matchesDigest(secret: string, digest: string): boolean {
  const expected = Buffer.from(digest, 'hex');
  const actual = createHash('sha256').update(secret, 'utf8').digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
