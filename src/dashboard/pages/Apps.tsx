import { useState } from 'preact/hooks';
import { Commit } from '../components/Commit';
import { Empty, ErrorBox, Spinner } from '../components/ErrorBox';
import { MissedDeliveriesBanner } from '../components/FailedDeliveries';
import { Layout } from '../components/Layout';
import { NewAppDialog } from '../components/NewAppDialog';
import { StatusBadge } from '../components/StatusBadge';
import { isActive } from '../format';
import { refreshAfter, useResource } from '../hooks';
import { isInstallationAdmin } from '../roles';
import { href } from '../routes';
import { useSession } from '../session';

export function AppsPage() {
  const { api, me } = useSession();
  const [creating, setCreating] = useState(false);
  const apps = useResource('apps', () => api.apps(), data => refreshAfter(data.items.some(app => app.environments.some(env => isActive(env.lastDeployment)))));
  return (
    <Layout crumbs={[{ label: 'Applications' }]}>
      <div class="page-head">
        <h1>Applications</h1>
        {isInstallationAdmin(me) ? <button type="button" class="primary" onClick={() => setCreating(true)} data-testid="new-app">New application</button> : null}
      </div>
      {creating
        ? (
          <NewAppDialog
            onClose={() => setCreating(false)}
            onCreated={app => {
              setCreating(false);
              location.hash = href.app(app.name);
            }}
          />
        )
        : null}
      <MissedDeliveriesBanner />
      {apps.error ? <ErrorBox error={apps.error} onRetry={apps.reload} /> : null}
      {!apps.data && apps.loading ? <Spinner /> : null}
      {apps.data && apps.data.items.length === 0
        ? (
          <Empty title="No applications yet" testId="apps-empty">
            Add one to your TrellisPipeline (or to the local configuration) and it shows up here after its next deploy, or create one here.
          </Empty>
        )
        : null}
      <ul class="app-list">
        {apps.data?.items.map(app => (
          <li key={app.name}>
            <a class="card app-card" href={href.app(app.name)} data-testid={`app-${app.name}`}>
              <div class="app-card-head">
                <strong>{app.name}</strong>
                <span class="muted">{app.repository}</span>
                {app.origin === 'dashboard' ? <span class="tag" title="Made on the dashboard; code-defined applications are changed in code">dashboard</span> : null}
                {app.deleting ? <span class="tag" data-testid={`app-${app.name}-deleting`}>being deleted</span> : null}
              </div>
              <div class="app-card-envs">
                {app.environments.map(env => (
                  <span class="env-chip" key={env.name}>
                    <span class="env-chip-name">{env.name}</span>
                    {env.currentCommit ? <Commit commit={env.currentCommit} /> : <span class="muted">–</span>}
                    {env.lastDeployment ? <StatusBadge status={env.lastDeployment.status} /> : null}
                  </span>
                ))}
              </div>
            </a>
          </li>
        ))}
      </ul>
    </Layout>
  );
}
