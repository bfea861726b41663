import { ApplicationView, EnvironmentView } from '../../runtime/core/api-types';
import { Deployment } from '../../runtime/core/types';
import { ago, dateTime, triggerText } from '../format';
import { usePages } from '../hooks';
import { useSession } from '../session';
import { Commit } from './Commit';
import { Dialog } from './Dialog';
import { Empty, ErrorBox, Spinner } from './ErrorBox';

/** Pick an earlier succeeded deployment of this environment to go back to. */
export function RollbackDialog({ app, env, busy, error, onClose, onRollback }: {
  app: ApplicationView;
  env: EnvironmentView;
  busy: boolean;
  error?: unknown;
  onClose: () => void;
  onRollback: (deploymentId: string) => void;
}) {
  const { api } = useSession();
  const pages = usePages<Deployment>(`rollback:${app.name}:${env.name}`, cursor => api.deployments(app.name, env.name, { cursor, limit: 20 }));
  const candidates = pages.items.filter(item => item.status === 'succeeded' && item.action !== 'teardown' && item.id !== env.currentDeploymentId);
  return (
    <Dialog title={`Roll back ${env.name}`} onClose={onClose} testId="rollback-dialog" wide>
      <p class="muted">
        Deploys the version of an earlier successful deployment again.
        {env.currentCommit ? <> Deployed now: <Commit commit={env.currentCommit} repository={app.repository} />.</> : null}
      </p>
      {error ? <ErrorBox error={error} testId="rollback-error" /> : null}
      {pages.error ? <ErrorBox error={pages.error} onRetry={pages.reload} /> : null}
      <ul class="pick-list">
        {candidates.map(item => (
          <li key={item.id} data-testid="rollback-candidate" data-id={item.id} data-commit={item.commit}>
            <div>
              <Commit commit={item.commit} repository={item.repository ?? app.repository} />
              {item.commitMessage ? <span class="ellipsis"> {item.commitMessage}</span> : null}
              <div class="muted" title={dateTime(item.finishedAt ?? item.createdAt)}>{item.action} · {triggerText(item)} · {ago(item.finishedAt ?? item.createdAt)}</div>
            </div>
            <button type="button" class="primary" disabled={busy} onClick={() => onRollback(item.id)} data-testid={`rollback-to-${item.id}`}>
              {busy ? '…' : 'Roll back to this'}
            </button>
          </li>
        ))}
      </ul>
      {pages.loading ? <Spinner /> : null}
      {!pages.loading && candidates.length === 0 && !pages.more
        ? <Empty title="Nothing to roll back to" testId="rollback-empty">There is no earlier successful deployment of {env.name}.</Empty>
        : null}
      {pages.more && !pages.loading ? <button type="button" class="load-more" onClick={pages.loadMore} data-testid="rollback-load-more">Load older deployments</button> : null}
    </Dialog>
  );
}
