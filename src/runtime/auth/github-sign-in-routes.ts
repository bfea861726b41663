import { GitHubSignIn } from './github-sign-in';
import { redirectTo, signInRefusedPage } from './sign-in-page';
import { ApiDeps, RouteHandler } from '../api/api-call';
import { bodyFields } from '../api/request-body';
import { NotFoundError, TrellisError, errorMessage, httpStatusOf } from '../core/errors';
import { HttpResponse, json } from '../core/http';

/**
 * The public routes of sign in with GitHub on the control API (no bearer token: the browser
 * navigates to them). Failures of the two page routes answer a page, not JSON: a person reads them.
 */

/** `GET /auth/github/sign-in?return=<dashboard page>` (or the terminal's loopback return with a PKCE challenge) → GitHub's authorize page. */
export const startGitHubSignIn: RouteHandler = ({ deps, query }) =>
  asPage(deps, async () => redirectTo(await signInOf(deps).start(query.return, query)));

/** `GET /auth/github/callback?code&state` → the dashboard with `#token=...` (the terminal with `?code=...`), or a page saying why not. */
export const finishGitHubSignIn: RouteHandler = ({ deps, query }) => asPage(deps, async () => {
  const result = await signInOf(deps).callback(query);
  return result.kind === 'refused' ? signInRefusedPage(result.status, result.reason, result.returnTo) : redirectTo(result.location);
});

/** `POST /auth/github/token { code, code_verifier }` → { token, expiresAt, user }: the terminal redeems its one-use code. */
export const redeemGitHubSignInCode: RouteHandler = async ({ deps, body }) =>
  noStore(json(200, await signInOf(deps).exchange(bodyFields(body, ['code', 'code_verifier']))));

/** `GET /auth/github/.well-known/jwks.json` */
export const gitHubSignInKeys: RouteHandler = async ({ deps }) => cached(json(200, await signInOf(deps).jwks()));

/** `GET /auth/github/.well-known/openid-configuration` */
export const gitHubSignInDiscovery: RouteHandler = async ({ deps }) => cached(json(200, signInOf(deps).openIdConfiguration()));

/** The sign-in for this installation; NotFoundError when it has none configured. */
function signInOf(deps: ApiDeps): GitHubSignIn {
  const { githubSignIn: settings, github, urls } = deps;
  if (!settings || !github || !urls) throw new NotFoundError('sign in with GitHub is not configured for this installation');
  const { store, clock, log } = deps;
  return new GitHubSignIn({ ...settings, apiUrl: urls.api, dashboardUrl: urls.dashboard, github, states: store.oneUse, clock, log });
}

async function asPage(deps: ApiDeps, answer: () => Promise<HttpResponse>): Promise<HttpResponse> {
  try {
    return await answer();
  } catch (error) {
    if (error instanceof TrellisError && httpStatusOf(error) < 500) return signInRefusedPage(httpStatusOf(error), error.message);
    deps.log({ message: 'github sign-in failed', error: errorMessage(error) });
    return signInRefusedPage(502, 'Signing in with GitHub failed on the way (it was logged). Try again in a moment.');
  }
}

/** The answer holds a token: no cache keeps it. */
function noStore(response: HttpResponse): HttpResponse {
  return { ...response, headers: { ...response.headers, 'cache-control': 'no-store' } };
}

/** The key set changes only when the key is replaced by hand: readers may keep it a few minutes. */
function cached(response: HttpResponse): HttpResponse {
  return { ...response, headers: { ...response.headers, 'cache-control': 'public, max-age=300' } };
}
