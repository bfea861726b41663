import { createSign } from 'crypto';

/** GitHub accepts an App JWT for at most 10 minutes; 9 leaves room for a clock a little ahead of GitHub's. */
const LIFETIME_SECONDS = 9 * 60;
/** Issued a minute in the past: GitHub refuses a JWT issued "in the future" by its clock. */
const CLOCK_DRIFT_SECONDS = 60;

/**
 * The JWT a GitHub App authenticates as itself with (RS256; `iss` = the App's id), signed with
 * the App's private key (PKCS#1 PEM as GitHub issues it; PKCS#8 works too).
 */
export function appJwt(appId: string, privateKey: string, now: Date = new Date()): string {
  const seconds = Math.floor(now.getTime() / 1000);
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = base64url(JSON.stringify({ iat: seconds - CLOCK_DRIFT_SECONDS, exp: seconds + LIFETIME_SECONDS, iss: appId }));
  const signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(privateKey).toString('base64url');
  return `${header}.${claims}.${signature}`;
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
