import { useState } from 'preact/hooks';
import { ErrorBox } from './ErrorBox';
import { StatusBadge } from './StatusBadge';
import { PreviewsView } from '../../runtime/core/api-types';
import { Deployment } from '../../runtime/core/types';
import { ago, shortSha } from '../format';
import { href } from '../routes';
import { useSession } from '../session';

/**
 * On the application page, under its pipeline: the pull requests' preview environments, by
 * number, with who opened them, whether they come from a fork, and what runs; Approve for a
 * fork's commit that waits; the switch (admins) that turns previews off and on.
 */
export function Previews({ app, previews, admin, onChanged, onDeployment }: {
  app: string;
  previews: PreviewsView;
  /** Shows the switch; the API decides either way. */
  admin: boolean;
  onChanged: () => void;
  onDeployment: (deployment: Deployment) => void;
}) {
  const { api } = useSession();
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<unknown>();
  const act = async (key: string, action: () => Promise<void>) => {
    setBusy(key);
    setError(undefined);
    try {
      await action();
      onChanged();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(undefined);
    }
  };
  const forks = previews.forks === 'approve' ? 'forks wait for approval and get no secrets' : 'forks get no preview';
  return (
    <section class="stack" data-testid="previews">
      <div class="page-head">
        <h2>Previews</h2>
        <span class="muted" data-testid="previews-rules">
          from {previews.from} · at most {previews.maxConcurrent} open · {forks}
        </span>
        {previews.enabled ? null : <span class="tag" data-testid="previews-off">off</span>}
        {admin
          ? (
            <button
              type="button"
              class="quiet"
              data-testid="previews-switch"
              disabled={busy !== undefined}
              onClick={() => void act('switch', async () => { await api.switchPreviews(app, { enabled: !previews.enabled }); })}
            >
              {busy === 'switch' ? '…' : previews.enabled ? 'Turn previews off' : 'Turn previews on'}
            </button>
          )
          : null}
      </div>
      {error ? <ErrorBox error={error} testId="previews-error" /> : null}
      {previews.environments.length === 0
        ? <p class="muted" data-testid="previews-empty">No open pull request has a preview.</p>
        : (
          <div class="card table-wrap">
            <table class="history">
              <thead>
                <tr><th>Pull request</th><th>Author</th><th>Head</th><th>Last deployment</th><th /></tr>
              </thead>
              <tbody>
                {previews.environments.map(env => {
                  const preview = env.preview!;
                  const last = env.lastDeployment;
                  return (
                    <tr key={env.name} data-testid={`preview-${env.name}`}>
                      <td>
                        <a href={href.history(app, env.name)}>#{preview.pullRequest}</a> {preview.title ?? ''}
                        {preview.fork ? <> <span class="tag" data-testid={`preview-${env.name}-fork`}>fork</span></> : null}
                      </td>
                      <td>{preview.author ?? ''}</td>
                      <td><code>{preview.headRef}</code> <code>{shortSha(preview.headSha)}</code></td>
                      <td>
                        {last
                          ? (
                            <a href={href.deployment(last.id)}>
                              <StatusBadge status={last.status} testId={`preview-${env.name}-status`} /> <span class="muted">{ago(last.createdAt)}</span>
                            </a>
                          )
                          : <span class="muted">{preview.awaitingApproval ? 'waits for approval' : 'none yet'}</span>}
                        {preview.closedAt ? <span class="muted" data-testid={`preview-${env.name}-closing`}> · closed: being removed</span> : null}
                      </td>
                      <td>
                        {env.allowed.approve && preview.awaitingApproval
                          ? (
                            <button
                              type="button"
                              class="primary"
                              data-testid={`approve-${env.name}`}
                              disabled={busy !== undefined}
                              title={`Build and deploy ${shortSha(preview.awaitingApproval)} from the fork (it gets no secrets)`}
                              onClick={() => void act(`approve-${env.name}`, async () => onDeployment(await api.approve(app, env.name)))}
                            >
                              {busy === `approve-${env.name}` ? '…' : `Approve ${shortSha(preview.awaitingApproval)}`}
                            </button>
                          )
                          : null}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
    </section>
  );
}
