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

/** Who an HTTP request comes from: a verified principal, or why the credential it carried was refused. */
export interface RequestCaller {
  readonly principal?: Principal;
  /** The verifier's reason, when a credential was given and refused (the 401 says it: the caller holds that credential). */
  readonly refusal?: string;
}

/**
 * The caller of an HTTP request by its Authorization header: nobody when there is no credential,
 * the refusal's reason when it does not verify (the API answers 401 with it). Other failures (the
 * table or the identity provider's keys out of reach) are thrown: a 500, not a refusal.
 */
export async function callerOfRequest(authenticator: Authenticator, authorization: string | undefined): Promise<RequestCaller> {
  const credential = bearerCredential(authorization);
  if (credential === undefined) return {};
  try {
    return { principal: await authenticator.authenticate(credential) };
  } catch (error) {
    if (error instanceof UnauthorizedError) return { refusal: error.message };
    throw error;
  }
}
