import { AuditEntryView } from '../../runtime/core/api-types';
import { AUDIT_ACTION_LABELS, auditDeployment, auditOutcome } from '../audit';
import { ago, dateTime } from '../format';
import { href } from '../routes';

/** Audit entries as the API gives them (newest first): who did what, where, and how it ended. */
export function AuditTable({ entries }: { entries: readonly AuditEntryView[] }) {
  const now = Date.now();
  return (
    <div class="table-wrap">
      <table class="history audit" data-testid="audit">
        <thead>
          <tr>
            <th>When</th><th>Who</th><th>Action</th><th>Environment</th><th>Target</th><th>Details</th><th>Result</th>
          </tr>
        </thead>
        <tbody>
          {entries.map(entry => <AuditRow key={entry.id} entry={entry} now={now} />)}
        </tbody>
      </table>
    </div>
  );
}

function AuditRow({ entry, now }: { entry: AuditEntryView; now: number }) {
  const deployment = auditDeployment(entry);
  const outcome = auditOutcome(entry.result.status);
  return (
    <tr data-testid="audit-row" data-id={entry.id} data-action={entry.action} data-outcome={outcome}>
      <td data-label="When" title={dateTime(entry.at)}>{ago(entry.at, now)}</td>
      <td data-label="Who" data-testid="audit-actor" title={entry.subject}>
        {entry.actor}
        {entry.apiToken ? <> <span class="tag" title={`API token ${entry.apiToken}`} data-testid="audit-api-token">API token</span></> : null}
      </td>
      <td data-label="Action">{AUDIT_ACTION_LABELS[entry.action] ?? entry.action}</td>
      <td data-label="Environment">{entry.environment ?? <span class="muted">–</span>}</td>
      <td data-label="Target">
        {deployment
          ? <a href={href.deployment(deployment)} data-testid="audit-deployment"><code>{deployment}</code></a>
          : entry.target ? <code>{entry.target}</code> : <span class="muted">–</span>}
      </td>
      <td data-label="Details" class="audit-details">
        {entry.details?.length ? entry.details.map(detail => <code key={detail}>{detail}</code>) : <span class="muted">–</span>}
      </td>
      <td data-label="Result" data-testid="audit-result">
        <span class={`audit-outcome outcome-${outcome}`}>{outcome} <span class="muted">{entry.result.status}</span></span>
        {entry.result.reason ? <div class="muted audit-reason" title={entry.result.reason}>{entry.result.reason}</div> : null}
      </td>
    </tr>
  );
}
