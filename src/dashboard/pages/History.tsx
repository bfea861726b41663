import { Deployment } from '../../runtime/core/types';
import { Commit } from '../components/Commit';
import { Empty, ErrorBox, Spinner } from '../components/ErrorBox';
import { Layout } from '../components/Layout';
import { SourceLabel } from '../components/SourceLabel';
import { StatusBadge } from '../components/StatusBadge';
import { ago, dateTime, duration, queuedFor, ranFor, triggerText } from '../format';
import { useNow, usePages, useResource } from '../hooks';
import { navigate } from '../router';
import { href } from '../routes';
import { useSession } from '../session';

/** An environment's deployments, newest first, a page at a time. */
export function HistoryPage({ app, env }: { app: string; env: string }) {
  const { api } = useSession();
  const pages = usePages<Deployment>(`history:${app}:${env}`, cursor => api.deployments(app, env, { cursor, limit: 20 }));
  // The repository, for commit links.
  const view = useResource(`app:${app}`, () => api.app(app));
  const now = useNow(pages.items.some(item => item.status === 'running' || item.status === 'queued'));
  return (
    <Layout crumbs={[{ label: 'Applications', href: href.apps() }, { label: app, href: href.app(app) }, { label: env }]}>
      <div class="page-head">
        <h1>{env} <span class="muted">history</span></h1>
        <button type="button" class="quiet" onClick={pages.reload} data-testid="history-refresh">Refresh</button>
      </div>
      {pages.error ? <ErrorBox error={pages.error} onRetry={pages.reload} /> : null}
      {!pages.loading && !pages.error && pages.items.length === 0 ? <Empty title="No deployments yet" testId="history-empty">Deployments of {env} show up here.</Empty> : null}
      {pages.items.length > 0
        ? (
          <div class="table-wrap">
            <table class="history" data-testid="history">
              <thead>
                <tr>
                  <th>Status</th><th>Action</th><th>Commit</th><th>Trigger</th><th>Requested</th><th>Waited</th><th>Ran</th>
                </tr>
              </thead>
              <tbody>
                {pages.items.map(item => (
                  <tr key={item.id} data-testid="history-row" data-id={item.id} class="clickable" onClick={event => {
                    if (!(event.target as HTMLElement).closest('a')) navigate(href.deployment(item.id));
                  }}>
                    <td data-label="Status"><StatusBadge status={item.status} /></td>
                    <td data-label="Action"><a href={href.deployment(item.id)}>{item.action}</a> <SourceLabel deployment={item} /></td>
                    <td data-label="Commit">
                      <Commit commit={item.commit} repository={item.repository ?? view.data?.repository} />
                      {item.commitMessage ? <span class="muted ellipsis"> {item.commitMessage}</span> : null}
                    </td>
                    <td data-label="Trigger">{triggerText(item)}</td>
                    <td data-label="Requested" title={dateTime(item.createdAt)}>{ago(item.createdAt, now)}</td>
                    <td data-label="Waited">{duration(queuedFor(item, now))}</td>
                    <td data-label="Ran">{duration(ranFor(item, now))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
        : null}
      {pages.loading ? <Spinner /> : null}
      {pages.more && !pages.loading && pages.items.length > 0
        ? <button type="button" class="load-more" onClick={pages.loadMore} data-testid="load-more">Load more</button>
        : null}
    </Layout>
  );
}
