/**
 * Where a caller's credential (a JWT or an API token) is found, one rule for AWS and local mode.
 */

/** The credential of `Authorization: Bearer <credential>`, or undefined. */
export function bearerCredential(authorization: string | undefined): string | undefined {
  const credential = /^Bearer +(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  return credential === '' ? undefined : credential;
}

/**
 * The credential of a WebSocket connect: the `token` query parameter (browsers cannot set headers
 * on a WebSocket), else `Authorization: Bearer` (terminals and scripts, which keep it out of URLs).
 */
export function connectCredential(queryToken: string | undefined, authorization: string | undefined): string | undefined {
  return queryToken || bearerCredential(authorization);
}
