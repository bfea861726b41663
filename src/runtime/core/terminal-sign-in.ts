/**
 * Sign in with GitHub from the terminal (`trellis login`), the control API's side of it:
 *
 *   GET  /auth/github/sign-in  ?return=http://127.0.0.1:<port>/...&code_challenge&code_challenge_method=S256
 *                              → GitHub, then 302 to the return with `?code` (or `?error&error_description`)
 *   POST /auth/github/token    GitHubTokenBody → SignInToken (no token needed; the code is one-use)
 */

/** The one-use code the sign-in sent to the terminal, and the PKCE verifier of its challenge. */
export interface GitHubTokenBody {
  readonly code: string;
  readonly code_verifier: string;
}

/** Trellis' own token for the user who signed in. */
export interface SignInToken {
  readonly token: string;
  /** ISO time the token expires (its `exp`). */
  readonly expiresAt: string;
  /** The GitHub login. */
  readonly user: string;
}
