import { useState } from 'preact/hooks';
import { Deployment, PhaseRecord } from '../../runtime/core/types';
import { Commit } from '../components/Commit';
import { ErrorBox, Spinner } from '../components/ErrorBox';
import { Layout } from '../components/Layout';
import { LogView } from '../components/LogView';
import { SourceLabel } from '../components/SourceLabel';
import { StatusBadge } from '../components/StatusBadge';
import { ago, between, dateTime, duration, isTerminal, queuedFor, ranFor, triggerText } from '../format';
import { useNow, useResource } from '../hooks';
import { href } from '../routes';
import { useSession } from '../session';

/** One deployment: what, who, how long, its phases, and the live log. */
export function DeploymentPage({ id }: { id: string }) {
  const { api } = useSession();
  const deployment = useResource(`deployment:${id}`, () => api.deployment(id), data => (isTerminal(data.status) ? undefined : 2000));
  const [cancelError, setCancelError] = useState<unknown>();
  const [cancelling, setCancelling] = useState(false);
  const d = deployment.data;
  const running = d !== undefined && !isTerminal(d.status);
  const now = useNow(running);

  const cancel = async () => {
    setCancelling(true);
    setCancelError(undefined);
    try {
      await api.cancel(id);
      deployment.reload();
    } catch (error) {
      setCancelError(error);
    } finally {
      setCancelling(false);
    }
  };

  const crumbs = d
    ? [{ label: 'Applications', href: href.apps() }, { label: d.application, href: href.app(d.application) }, { label: d.environment, href: href.history(d.application, d.environment) }, { label: id }]
    : [{ label: 'Applications', href: href.apps() }, { label: id }];
  return (
    <Layout crumbs={crumbs}>
      {deployment.error ? <ErrorBox error={deployment.error} onRetry={deployment.reload} /> : null}
      {!d && deployment.loading ? <Spinner /> : null}
      {d
        ? (
          <>
            <div class="page-head deployment-head">
              <h1>
                <span class="action">{d.action}</span> {d.environment}
              </h1>
              <StatusBadge status={d.status} testId="deployment-status" />
              <SourceLabel deployment={d} />
              {running ? <button type="button" class="danger quiet" disabled={cancelling} onClick={cancel} data-testid="cancel">{cancelling ? 'Cancelling…' : 'Cancel'}</button> : null}
            </div>
            {cancelError ? <ErrorBox error={cancelError} testId="cancel-error" /> : null}
            {d.reason ? <p class={`reason status-${d.status}`} data-testid="deployment-reason">{d.reason}</p> : null}
            <Summary deployment={d} now={now} />
            <Phases phases={d.phases ?? []} now={now} />
          </>
        )
        : null}
      {/* The log does not wait for the deployment's details: it starts with the page. */}
      {!deployment.error || d ? <LogView deploymentId={id} finished={d !== undefined && isTerminal(d.status)} /> : null}
    </Layout>
  );
}

function Summary({ deployment: d, now }: { deployment: Deployment; now: number }) {
  return (
    <dl class="summary card" data-testid="deployment-summary">
      <div>
        <dt>Commit</dt>
        <dd>
          <Commit commit={d.commit} repository={d.repository} testId="deployment-commit" />
          {d.branch ? <span class="muted"> on <code>{d.branch}</code></span> : null}
          {d.commitMessage ? <div class="commit-message">{d.commitMessage}</div> : null}
          {d.author ? <div class="muted">by {d.author}</div> : null}
        </dd>
      </div>
      <div>
        <dt>Trigger</dt>
        <dd data-testid="deployment-trigger">
          {triggerText(d)}
          {d.trigger.sourceDeploymentId
            ? <div><a href={href.deployment(d.trigger.sourceDeploymentId)} data-testid="deployment-source">from {d.trigger.sourceDeploymentId}</a></div>
            : null}
        </dd>
      </div>
      <div>
        <dt>Requested</dt>
        <dd title={dateTime(d.createdAt)}>{ago(d.createdAt, now)}</dd>
      </div>
      <div>
        <dt>Waited</dt>
        <dd data-testid="deployment-queued">{duration(queuedFor(d, now))}</dd>
      </div>
      <div>
        <dt>Ran</dt>
        <dd data-testid="deployment-duration">{duration(ranFor(d, now))}</dd>
      </div>
    </dl>
  );
}

function Phases({ phases, now }: { phases: readonly PhaseRecord[]; now: number }) {
  if (phases.length === 0) return null;
  return (
    <ol class="phases" data-testid="phases">
      {phases.map(phase => (
        <li key={phase.phase} class={`phase outcome-${phase.outcome}`} data-testid={`phase-${phase.phase}`} data-outcome={phase.outcome} title={phase.detail}>
          <span class="phase-dot" aria-hidden="true" />
          <span class="phase-name">{phase.phase}</span>
          <span class="phase-time">{duration(phase.durationMs ?? (phase.outcome === 'running' ? between(phase.startedAt, now) : undefined))}</span>
          <span class="phase-outcome">{phase.outcome}</span>
          {phase.detail ? <span class="phase-detail muted">{phase.detail}</span> : null}
        </li>
      ))}
    </ol>
  );
}
