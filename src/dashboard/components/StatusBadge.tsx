import { DeploymentStatus } from '../../runtime/core/types';

const LABELS: Record<DeploymentStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
  superseded: 'Superseded',
};

export function StatusBadge({ status, testId }: { status: DeploymentStatus; testId?: string }) {
  return (
    <span class={`badge status-${status}`} data-testid={testId} data-status={status}>
      {status === 'running' || status === 'queued' ? <span class="pulse" aria-hidden="true" /> : null}
      {LABELS[status] ?? status}
    </span>
  );
}
