/**
 * Sign in with GitHub's names that the construct (the verifiers' issuer, the dashboard's
 * config) and the control API (which issues the tokens) must agree on.
 */

/** `aud` of the tokens the control API issues after a GitHub sign-in. */
export const GITHUB_SIGN_IN_AUDIENCE = 'trellis-dashboard';

/** Where the sign-in's routes are on the control API. */
export const GITHUB_SIGN_IN_PATH = '/auth/github';

/**
 * The tokens' issuer for the control API's URL: `<api url>/auth/github`, where the OpenID
 * configuration (`/.well-known/openid-configuration`) and key set (`/.well-known/jwks.json`) are.
 */
export function gitHubSignInIssuer(apiUrl: string): string {
  return `${apiUrl.replace(/\/+$/, '')}${GITHUB_SIGN_IN_PATH}`;
}
