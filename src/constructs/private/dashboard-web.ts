import { Token } from 'aws-cdk-lib';

/**
 * Why `value` is not a URL of one of `protocols` without query or fragment (tokens are not
 * checked). Characters that would end a CSP source (`;`, `,`, space) are refused too.
 */
export function urlProblem(value: string, protocols: string[] = ['https:']): string | undefined {
  if (Token.isUnresolved(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `'${value}' is not a URL`;
  }
  if (!protocols.includes(url.protocol)) return `'${value}' must be an ${protocols.map(p => p.replace(':', '')).join(' or ')} URL`;
  if (url.search || url.hash || value.includes('?') || value.includes('#')) return `'${value}' must not have a query or fragment`;
  if (/[;,\s]/.test(value)) return `'${value}' must not contain ';', ',' or white space`;
  return undefined;
}

/**
 * Why `value` is not a sign-in callback URL: https, or http on localhost for local
 * development (what Cognito accepts).
 */
export function callbackUrlProblem(value: string): string | undefined {
  if (Token.isUnresolved(value)) return undefined;
  const problem = urlProblem(value, ['https:', 'http:']);
  if (problem) return problem;
  const url = new URL(value);
  if (url.protocol === 'http:' && url.hostname !== 'localhost') return `'${value}' must be https (http is accepted only for localhost)`;
  return undefined;
}

/** The origin (`scheme://host[:port]`) of a literal URL, for CORS. */
export function originOf(value: string): string {
  return new URL(value).origin;
}

const COGNITO_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Why `value` is not a Cognito domain prefix (tokens are not checked). */
export function cognitoDomainPrefixProblem(value: string): string | undefined {
  if (Token.isUnresolved(value)) return undefined;
  if (!COGNITO_PREFIX.test(value)) return `'${value}' must be 1-63 lowercase letters, digits or hyphens, not starting or ending with a hyphen`;
  const reserved = ['aws', 'amazon', 'cognito'].find(word => value.includes(word));
  if (reserved) return `'${value}' must not contain '${reserved}' (Cognito reserves it)`;
  return undefined;
}
