import { Authenticator, Principal } from '../core/access';
import { UnauthorizedError } from '../core/errors';

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

/**
 * The caller of an HTTP request by its Authorization header, or undefined when there is no
 * credential or it does not verify (the API answers 401). Other failures (the table or the
 * identity provider's keys out of reach) are thrown: a 500, not a refusal.
 */
export async function principalOfRequest(authenticator: Authenticator, authorization: string | undefined): Promise<Principal | undefined> {
  const credential = bearerCredential(authorization);
  if (credential === undefined) return undefined;
  try {
    return await authenticator.authenticate(credential);
  } catch (error) {
    if (error instanceof UnauthorizedError) return undefined;
    throw error;
  }
}
