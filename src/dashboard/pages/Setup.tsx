import { useEffect, useRef, useState } from 'preact/hooks';
import { GitHubManifestForm, GitHubSetupView } from '../../runtime/core/api-types';
import { Empty, ErrorBox, Spinner } from '../components/ErrorBox';
import { FailedDeliveries } from '../components/FailedDeliveries';
import { Layout } from '../components/Layout';
import { useResource } from '../hooks';
import { isInstallationAdmin } from '../roles';
import { useSession } from '../session';

/**
 * Connecting GitHub: an admin makes the installation's GitHub App in one step (GitHub's
 * app-manifest flow: this page posts the manifest to GitHub, GitHub makes the App and sends the
 * browser back through the API, which stores the App's credentials), then installs it on
 * repositories; afterwards the page shows the App, its repositories and missed webhook deliveries.
 */
export function SetupPage({ created }: { created: boolean }) {
  const { api, me } = useSession();
  const admin = isInstallationAdmin(me);
  const github = useResource('github', () => api.github());
  return (
    <Layout crumbs={[{ label: 'GitHub' }]}>
      <h1>GitHub</h1>
      {created
        ? (
          <div class="notice" role="status" data-testid="setup-created">
            The GitHub App was created and its credentials were stored. Install it on your repositories next.
          </div>
        )
        : null}
      {github.error ? <ErrorBox error={github.error} onRetry={github.reload} /> : null}
      {!github.data && github.loading ? <Spinner /> : null}
      {github.data && !admin
        ? (
          <Empty title={github.data.configured ? 'GitHub is connected' : 'GitHub is not connected yet'} testId="setup-not-admin">
            An admin connects GitHub and installs the App on repositories.
          </Empty>
        )
        : null}
      {github.data && admin && !github.data.configured ? <CreateApp view={github.data} /> : null}
      {github.data && admin && github.data.configured ? <ConnectedApp view={github.data} /> : null}
    </Layout>
  );
}

/** Explains the App, then posts its manifest to GitHub as a real form (a top-level navigation: GitHub's page needs the admin's session there). */
function CreateApp({ view, replace = false }: { view: GitHubSetupView; replace?: boolean }) {
  const { api } = useSession();
  const [name, setName] = useState('');
  const [organization, setOrganization] = useState(view.organization ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [form, setForm] = useState<GitHubManifestForm>();
  const formElement = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (form) formElement.current?.submit();
  }, [form]);

  if (!view.canCreate) {
    return (
      <Empty title="This installation has no GitHub App connection" testId="setup-unavailable">
        Give your TrellisPipeline <code>github: GitHubApp.fromSetupPage()</code> and deploy it; then come back here.
      </Empty>
    );
  }
  const start = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      setForm(await api.githubManifest({
        ...name.trim() !== '' && { name: name.trim() },
        ...organization.trim() !== '' && { organization: organization.trim() },
        ...replace && { replace: true },
      }));
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  };
  return (
    <section class="card setup-card" data-testid="setup-create">
      <h2>{replace ? 'Make a new GitHub App in its place' : 'Connect GitHub with a GitHub App'}</h2>
      <p>
        Trellis acts on GitHub as a GitHub App of your own: it clones each build with a token for that one repository,
        receives pushes from every repository the App is installed on, and reports commit statuses and deployments back.
      </p>
      <p class="muted">
        The button takes you to GitHub with the App's settings filled in (read access to code, write access to statuses and
        deployments, push and pull request events). Confirm there; GitHub sends you back here and Trellis stores the App's
        key and secrets. {replace ? 'The new App\'s credentials replace the current ones.' : ''}
      </p>
      <form class="stack" onSubmit={start}>
        <label>
          <span>App name on GitHub <span class="muted">(optional, at most 34 characters)</span></span>
          <input value={name} maxLength={34} onInput={event => setName(event.currentTarget.value)} data-testid="setup-app-name" />
        </label>
        <label>
          <span>Organization <span class="muted">{view.organization ? '(the installation\'s)' : '(optional; empty: your own account)'}</span></span>
          <input value={organization} onInput={event => setOrganization(event.currentTarget.value)} data-testid="setup-organization" />
        </label>
        {error ? <ErrorBox error={error} testId="setup-error" /> : null}
        <div>
          <button type="submit" class="primary" disabled={busy} data-testid="create-app">
            {busy ? 'Going to GitHub…' : 'Create GitHub App'}
          </button>
        </div>
      </form>
      {form
        ? (
          <form method="post" action={form.action} ref={formElement} data-testid="manifest-form" hidden>
            <input type="hidden" name="manifest" value={JSON.stringify(form.manifest)} />
          </form>
        )
        : null}
    </section>
  );
}

function ConnectedApp({ view }: { view: GitHubSetupView }) {
  const [replacing, setReplacing] = useState(false);
  const app = view.app!;
  const repositories = view.repositories ?? [];
  return (
    <>
      <section class="card setup-card" data-testid="setup-connected">
        <div class="label-row">
          <h2>GitHub App <a href={app.htmlUrl} target="_blank" rel="noopener noreferrer" data-testid="setup-app-link">{app.slug}</a></h2>
        </div>
        <p>
          Install the App on the repositories Trellis deploys: their pushes then arrive without any webhook set up by hand.{' '}
          {/* In this tab: GitHub sends it back here, and the session is this tab's. */}
          <a href={app.installUrl} data-testid="setup-install">Install on repositories</a>
        </p>
        <h3>Installed repositories</h3>
        {repositories.length === 0
          ? <p class="muted" data-testid="setup-no-repositories">None yet.</p>
          : (
            <ul class="pick-list" data-testid="setup-repositories">
              {repositories.map(repository => (
                <li key={repository.fullName}>
                  <div><strong>{repository.fullName}</strong> <span class="muted">{repository.defaultBranch}</span></div>
                  {repository.private ? <span class="tag">private</span> : null}
                </li>
              ))}
            </ul>
          )}
        {/* An App given by the installation's own secrets is replaced there, not here. */}
        {replacing || !view.canCreate
          ? null
          : <button type="button" class="quiet" onClick={() => setReplacing(true)} data-testid="setup-replace">Replace with a new App…</button>}
      </section>
      {replacing ? <CreateApp view={view} replace /> : null}
      <FailedDeliveries />
    </>
  );
}
