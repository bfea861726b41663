import { render } from 'preact';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { Api, ApiError, loadConfig } from './api';
import { completeGitHubSignIn, completeOidcSignIn, forgetToken, signOut, storeToken, storedToken } from './auth';
import { Empty, ErrorBox, Spinner } from './components/ErrorBox';
import { Layout } from './components/Layout';
import { useResource } from './hooks';
import { AppPage } from './pages/App';
import { AppsPage } from './pages/Apps';
import { AuditPage } from './pages/Audit';
import { DeploymentPage } from './pages/Deployment';
import { HistoryPage } from './pages/History';
import { SetupPage } from './pages/Setup';
import { SignIn } from './pages/SignIn';
import { TokensPage } from './pages/Tokens';
import { useRoute } from './router';
import { Route, href } from './routes';
import { Session, SessionContext } from './session';
import { DashboardConfig } from '../runtime/core/api-types';

/** Loads config.json, finishes an OIDC callback if this is one, then signs in or shows the dashboard. */
function Root() {
  const [config, setConfig] = useState<DashboardConfig>();
  const [fatal, setFatal] = useState<unknown>();
  const [token, setToken] = useState<string>();
  const [signInError, setSignInError] = useState<unknown>();

  useEffect(() => {
    (async () => {
      const loaded = await loadConfig();
      if (loaded.auth.kind === 'github' || loaded.auth.kind === 'local') completeGitHubSignIn();
      if (loaded.auth.kind === 'oidc') {
        try {
          await completeOidcSignIn(loaded.auth);
        } catch (error) {
          setSignInError(error);
        }
      }
      setToken(storedToken());
      setConfig(loaded);
    })().catch(setFatal);
  }, []);

  const onUnauthorized = useCallback(() => {
    forgetToken();
    setToken(undefined);
    setSignInError(new ApiError(401, 'unauthorized', 'Your session has ended. Sign in again.'));
  }, []);

  if (fatal) {
    return (
      <main class="sign-in">
        <ErrorBox error={fatal} testId="config-error" />
        <p class="muted">The dashboard could not load its configuration (config.json).</p>
      </main>
    );
  }
  if (!config) return <Spinner />;
  if (!token) {
    return <SignIn config={config} error={signInError} onSignedIn={signedIn => {
      storeToken(signedIn);
      setSignInError(undefined);
      setToken(signedIn);
    }} />;
  }
  return <SignedIn config={config} token={token} onUnauthorized={onUnauthorized} onSignOut={() => {
    signOut(config.auth);
    setToken(undefined);
  }} />;
}

interface SignedInProps {
  readonly config: DashboardConfig;
  readonly token: string;
  readonly onUnauthorized: () => void;
  readonly onSignOut: () => void;
}

function SignedIn({ config, token, onUnauthorized, onSignOut }: SignedInProps) {
  const api = useMemo(() => new Api(config.apiUrl, token, onUnauthorized), [config, token, onUnauthorized]);
  const me = useResource(`me:${token}`, () => api.me());
  const session = useMemo<Session>(() => ({ config, token, api, me: me.data, signOut: onSignOut }), [config, token, api, me.data, onSignOut]);
  const route = useRoute();
  return (
    <SessionContext.Provider value={session}>
      <Page route={route} />
    </SessionContext.Provider>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'apps': return <AppsPage />;
    case 'app': return <AppPage key={route.app} name={route.app} />;
    case 'history': return <HistoryPage key={`${route.app}/${route.env}`} app={route.app} env={route.env} />;
    case 'audit': return <AuditPage key={route.app} app={route.app} filters={route.filters} />;
    case 'deployment': return <DeploymentPage key={route.id} id={route.id} />;
    case 'setup': return <SetupPage created={route.created} />;
    case 'tokens': return <TokensPage />;
    default:
      return (
        <Layout crumbs={[{ label: 'Not found' }]}>
          <Empty title="Nothing here" testId="not-found">
            There is no page at <code>{route.path}</code>. <a href={href.apps()}>See all applications</a>.
          </Empty>
        </Layout>
      );
  }
}

render(<Root />, document.getElementById('app')!);
