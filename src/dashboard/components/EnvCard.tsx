import { ApplicationView, EnvironmentView } from '../../runtime/core/api-types';
import { ago, isActive, triggerText } from '../format';
import { href } from '../routes';
import { Commit } from './Commit';
import { StatusBadge } from './StatusBadge';

export type EnvAction = 'deploy' | 'promote' | 'rollback' | 'teardown' | 'settings';

const VERB = { deploy: 'deploy', promote: 'promote', rollback: 'rollback', teardown: 'teardown' } as const;

/** One environment in the pipeline: what runs there, the last deployment, and the allowed buttons. */
export function EnvCard({ app, env, next, busy, onAction }: {
  app: ApplicationView;
  env: EnvironmentView;
  next?: EnvironmentView;
  busy?: string;
  onAction: (action: EnvAction) => void;
}) {
  const last = env.lastDeployment;
  const running = isActive(last);
  const button = (action: EnvAction, label: string, options: { disabled?: boolean; title?: string; kind?: string } = {}) => (
    <button
      type="button"
      class={options.kind ?? ''}
      data-testid={`${action}-${env.name}`}
      disabled={options.disabled || busy !== undefined}
      title={options.title}
      onClick={() => onAction(action)}
    >
      {busy === `${action}-${env.name}` ? '…' : label}
    </button>
  );
  return (
    <article class={`card env-card kind-${env.kind}${running ? ' is-running' : ''}`} data-testid={`env-${env.name}`}>
      <header class="env-head">
        <h2>{env.name}</h2>
        <span class="tag">{env.kind}</span>
        {env.protected ? <span class="tag protected" title="Only admins act here">protected</span> : null}
      </header>
      <dl class="facts">
        <dt>Branch</dt>
        <dd data-testid={`branch-${env.name}`}>
          {env.branch ? <code>{env.branch}</code> : <span class="muted">promotions only</span>}
          {env.branch && env.autoDeploy ? <span class="muted"> · deploys on push</span> : null}
        </dd>
        <dt>Deployed</dt>
        <dd data-testid={`current-${env.name}`}>
          {env.currentCommit ? <Commit commit={env.currentCommit} repository={app.repository} testId={`commit-${env.name}`} /> : <span class="muted">nothing deployed</span>}
        </dd>
        <dt>Last</dt>
        <dd>
          {last
            ? (
              <a class="last" href={href.deployment(last.id)} data-testid={`last-${env.name}`}>
                <StatusBadge status={last.status} testId={`status-${env.name}`} />
                <span>{VERB[last.action]} <code>{last.commit.slice(0, 7)}</code></span>
                <span class="muted">{triggerText(last)} · {ago(last.createdAt)}</span>
              </a>
            )
            : <span class="muted" data-testid={`status-${env.name}`} data-status="none">no deployments yet</span>}
        </dd>
      </dl>
      {last?.commitMessage ? <p class="commit-message" title={last.commitMessage}>{last.commitMessage}</p> : null}
      <div class="actions">
        {env.allowed.deploy && env.branch ? button('deploy', 'Deploy', { kind: 'primary', title: `Deploy the latest commit of ${env.branch}` }) : null}
        {env.allowed.promote && next
          ? button('promote', `Promote to ${next.name}`, { disabled: !env.currentCommit, title: env.currentCommit ? `Deploy ${env.currentCommit.slice(0, 7)} to ${next.name}` : 'Nothing deployed here yet' })
          : null}
        {env.allowed.rollback ? button('rollback', 'Roll back', { disabled: !env.currentCommit }) : null}
        {env.allowed.settings ? button('settings', 'Settings', { kind: 'quiet' }) : null}
        {env.allowed.teardown ? button('teardown', 'Tear down', { kind: 'danger quiet', disabled: !env.currentCommit && !last }) : null}
      </div>
      <footer class="env-foot">
        <a href={href.history(app.name, env.name)} data-testid={`history-${env.name}`}>History</a>
        {env.region ? <span class="muted">{env.region}</span> : null}
      </footer>
    </article>
  );
}
