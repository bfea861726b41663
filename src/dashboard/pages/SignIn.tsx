import { useState } from 'preact/hooks';
import { DashboardConfig } from '../../runtime/core/api-types';
import { localSignIn } from '../api';
import { startGitHubSignIn, startOidcSignIn } from '../auth';
import { ErrorBox } from '../components/ErrorBox';

/** Local mode: user and password (and GitHub, when offered). Otherwise: GitHub's or the identity provider's page (OIDC + PKCE). */
export interface SignInProps {
  readonly config: DashboardConfig;
  readonly onSignedIn: (token: string) => void;
  /** Why the last session ended or an identity provider's callback failed. */
  readonly error?: unknown;
}

export function SignIn({ config, onSignedIn, error: initialError }: SignInProps) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(initialError);
  const auth = config.auth;

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      if (auth.kind === 'local') onSignedIn(await localSignIn(config, user, password));
      else if (auth.kind === 'github') startGitHubSignIn(auth.signInUrl);
      else await startOidcSignIn(auth);
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <form class="card sign-in-card" onSubmit={submit} data-testid="sign-in">
        <h1>Trellis</h1>
        <p class="muted">Sign in to see your applications and deploy them.</p>
        {error ? <ErrorBox error={error} testId="sign-in-error" /> : null}
        {auth.kind === 'local'
          ? (
            <>
              <label>
                User
                <input name="user" autoComplete="username" required value={user} onInput={event => setUser(event.currentTarget.value)} data-testid="sign-in-user" />
              </label>
              <label>
                Password
                <input name="password" type="password" autoComplete="current-password" required value={password}
                  onInput={event => setPassword(event.currentTarget.value)} data-testid="sign-in-password" />
              </label>
              <button type="submit" class="primary" disabled={busy} data-testid="sign-in-submit">{busy ? 'Signing in…' : 'Sign in'}</button>
              {auth.githubSignInUrl
                ? <button type="button" disabled={busy} onClick={() => startGitHubSignIn(auth.githubSignInUrl!)} data-testid="sign-in-github">Sign in with GitHub</button>
                : null}
            </>
          )
          : (
            <button type="submit" class="primary" disabled={busy} data-testid="sign-in-submit">
              {busy ? 'Redirecting…' : auth.kind === 'github' ? 'Sign in with GitHub' : 'Sign in with your organization'}
            </button>
          )}
      </form>
    </main>
  );
}
