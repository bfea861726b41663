import { useState } from 'preact/hooks';
import { ApplicationView, DeletionResult, EnvironmentView } from '../../runtime/core/api-types';
import { Deployment } from '../../runtime/core/types';
import { AddEnvironmentDialog } from '../components/AddEnvironmentDialog';
import { DeleteDialog } from '../components/DeleteDialog';
import { EnvCard, EnvAction } from '../components/EnvCard';
import { Empty, ErrorBox, Spinner } from '../components/ErrorBox';
import { Layout } from '../components/Layout';
import { NotificationFailures } from '../components/NotificationFailures';
import { Previews } from '../components/Previews';
import { RollbackDialog } from '../components/RollbackDialog';
import { SettingsDialog } from '../components/SettingsDialog';
import { TeardownDialog } from '../components/TeardownDialog';
import { isActive, shortSha } from '../format';
import { refreshAfter, useResource } from '../hooks';
import { administers } from '../roles';
import { href } from '../routes';
import { useSession } from '../session';

type Open =
  | { readonly dialog: 'rollback' | 'teardown' | 'settings' | 'delete-env'; readonly env: EnvironmentView }
  | { readonly dialog: 'add-env' | 'delete-app' };

const VERBS: Record<Deployment['action'], string> = { deploy: 'Deploy', promote: 'Promotion', rollback: 'Rollback', teardown: 'Teardown' };

/** One application: its environments as a pipeline in promotion order, with what the caller may do on each. */
export function AppPage({ name }: { name: string }) {
  const { api, me } = useSession();
  const app = useResource(`app:${name}`, () => api.app(name), data => refreshAfter(
    [...data.environments, ...data.previews?.environments ?? []].some(env => isActive(env.lastDeployment))));
  const [busy, setBusy] = useState<string>();
  const [actionError, setActionError] = useState<unknown>();
  const [notice, setNotice] = useState<Deployment>();
  const [open, setOpen] = useState<Open>();

  /** Runs an action; its deployment is announced and the page follows it closely until it ends. */
  const run = async (key: string, action: () => Promise<Deployment>): Promise<boolean> => {
    setBusy(key);
    setActionError(undefined);
    try {
      setNotice(await action());
      app.reload();
      return true;
    } catch (error) {
      setActionError(error);
      return false;
    } finally {
      setBusy(undefined);
    }
  };

  const onAction = (env: EnvironmentView, action: EnvAction) => {
    if (action === 'deploy') {void run(`deploy-${env.name}`, () => api.deploy(name, env.name));} else if (action === 'promote') {void run(`promote-${env.name}`, () => api.promote(name, env.name));} else {
      setActionError(undefined);
      setOpen({ dialog: action, env });
    }
  };

  /** Deletes now, or starts the teardowns the deletion waits for (the page shows them). */
  const remove = async (key: string, action: () => Promise<DeletionResult>, deletedGoesTo?: string) => {
    setBusy(key);
    setActionError(undefined);
    try {
      const result = await action();
      setOpen(undefined);
      if (result.status === 'deleted' && deletedGoesTo) location.hash = deletedGoesTo;
      else app.reload();
    } catch (error) {
      setActionError(error);
    } finally {
      setBusy(undefined);
    }
  };

  const deleting = open?.dialog === 'delete-app'
    ? { what: 'application' as const, name, run: (confirm: string) => remove('delete', () => api.deleteApp(name, { confirm }), href.apps()) }
    : open?.dialog === 'delete-env'
      ? { what: 'environment' as const, name: open.env.name, run: deleteEnvironment(open.env.name) }
      : undefined;
  function deleteEnvironment(env: string) {
    return (confirm: string) => remove('delete', () => api.deleteEnvironment(name, env, { confirm }));
  }

  const view: ApplicationView | undefined = app.data;
  // Only dashboard-made applications change shape here; admins only (the API decides either way).
  const editable = view?.origin === 'dashboard' && !view.deleting && (view.environments[0]?.allowed.settings ?? false);
  return (
    <Layout crumbs={[{ label: 'Applications', href: href.apps() }, { label: name }]}>
      <div class="page-head">
        <h1 data-testid="app-name">{name}</h1>
        {view ? <span class="muted">{view.repository}</span> : null}
        {administers(me, name) ? <a href={href.audit(name)} data-testid="audit-link">Audit trail</a> : null}
        {editable
          ? (
            <>
              <button type="button" onClick={() => setOpen({ dialog: 'add-env' })} data-testid="add-env">Add environment</button>
              <button type="button" class="danger quiet" onClick={() => setOpen({ dialog: 'delete-app' })} data-testid="delete-app">Delete application</button>
            </>
          )
          : null}
      </div>
      {view?.deleting ? <div class="notice" role="status" data-testid="app-deleting">Being deleted: its environments are torn down first.</div> : null}
      {app.error ? <ErrorBox error={app.error} onRetry={app.reload} /> : null}
      {actionError && !open ? <ErrorBox error={actionError} testId="action-error" /> : null}
      {notice
        ? (
          <div class="notice" role="status" data-testid="notice">
            {VERBS[notice.action]} of <code>{shortSha(notice.commit)}</code> to <strong>{notice.environment}</strong> requested.{' '}
            <a href={href.deployment(notice.id)} data-testid="notice-link">Follow it</a>
            <button type="button" class="icon" aria-label="Dismiss" onClick={() => setNotice(undefined)}>×</button>
          </div>
        )
        : null}
      {!view && app.loading ? <Spinner /> : null}
      {view && view.environments.length === 0 ? <Empty title="No environments" testId="envs-empty">This application has no environments configured.</Empty> : null}
      {view
        ? (
          <ol class="pipeline" data-testid="pipeline">
            {view.environments.map((env, index) => (
              <li key={env.name} class="pipeline-step">
                <div class="stack" style={{ width: '100%' }}>
                  <EnvCard
                    app={view}
                    env={env}
                    next={view.environments[index + 1]}
                    busy={busy}
                    onAction={action => onAction(env, action)}
                  />
                  {env.deleting
                    ? (
                      <p class="muted" data-testid={`env-${env.name}-deleting`}>
                        Being deleted
                        {env.deleting.teardownId ? <>, after <a href={href.deployment(env.deleting.teardownId)}>its teardown</a></> : null}.
                        {env.deleting.failure
                          ? <> {env.deleting.failure}: delete it again to retry
                            (or, through the API, with <code>keepDeployed</code> to leave it running).</>
                          : null}
                      </p>
                    )
                    : null}
                  {mayDelete(view, env)
                    ? (
                      <button type="button" class="danger quiet" onClick={() => setOpen({ dialog: 'delete-env', env })} data-testid={`delete-env-${env.name}`}>
                        Delete {env.name}
                      </button>
                    )
                    : null}
                </div>
              </li>
            ))}
          </ol>
        )
        : null}
      {view?.previews
        ? <Previews app={name} previews={view.previews} admin={administers(me, name)} onChanged={app.reload} onDeployment={setNotice} />
        : null}
      {view ? <NotificationFailures app={name} /> : null}
      {open?.dialog === 'rollback' && view
        ? (
          <RollbackDialog
            app={view}
            env={open.env}
            error={actionError}
            busy={busy === `rollback-${open.env.name}`}
            onClose={() => setOpen(undefined)}
            onRollback={async deploymentId => {
              if (await run(`rollback-${open.env.name}`, () => api.rollback(name, open.env.name, { deploymentId }))) setOpen(undefined);
            }}
          />
        )
        : null}
      {open?.dialog === 'teardown'
        ? (
          <TeardownDialog
            env={open.env}
            busy={busy === `teardown-${open.env.name}`}
            error={actionError}
            onClose={() => setOpen(undefined)}
            onConfirm={async confirm => {
              if (await run(`teardown-${open.env.name}`, () => api.teardown(name, open.env.name, { confirm }))) setOpen(undefined);
            }}
          />
        )
        : null}
      {open?.dialog === 'add-env'
        ? (
          <AddEnvironmentDialog
            app={name}
            onClose={() => setOpen(undefined)}
            onAdded={() => {
              setOpen(undefined);
              app.reload();
            }}
          />
        )
        : null}
      {deleting
        ? (
          <DeleteDialog
            what={deleting.what}
            name={deleting.name}
            busy={busy === 'delete'}
            error={actionError}
            onClose={() => setOpen(undefined)}
            onConfirm={confirm => void deleting.run(confirm)}
          />
        )
        : null}
      {open?.dialog === 'settings'
        ? (
          <SettingsDialog
            app={name}
            env={open.env}
            onClose={() => setOpen(undefined)}
            onSaved={() => {
              setOpen(undefined);
              app.reload();
            }}
          />
        )
        : null}
    </Layout>
  );
}

/** A dashboard-made application's environment, not its only one, for admins; again after a failed teardown. */
function mayDelete(app: ApplicationView, env: EnvironmentView): boolean {
  const settled = !env.deleting || env.deleting.failure !== undefined;
  return app.origin === 'dashboard' && env.allowed.settings && app.environments.length > 1 && settled;
}
