import { ALL_APPLICATIONS } from '../runtime/core/access';
import { AuditAction, AuditEntryView } from '../runtime/core/api-types';

/** Each action in words; a Record, so a new action on the API cannot be left out of the filter. */
export const AUDIT_ACTION_LABELS: Readonly<Record<AuditAction, string>> = {
  'deploy': 'deploy',
  'promote': 'promote',
  'rollback': 'roll back',
  'teardown': 'tear down',
  'cancel': 'cancel',
  'settings': 'change settings',
  'create-application': 'create application',
  'delete-application': 'delete application',
  'add-environment': 'add environment',
  'delete-environment': 'delete environment',
  'create-token': 'create API token',
  'revoke-token': 'revoke API token',
  'github-app': 'connect GitHub App',
  'redeliver': 'redeliver webhook',
  'approve-preview': 'approve preview',
  'previews-switch': 'switch previews',
  'preview': 'preview (webhook)',
};

export const AUDIT_ACTIONS = Object.keys(AUDIT_ACTION_LABELS) as AuditAction[];

/** The audit page's filters (the API's query parameters), kept in the page's address so a filtered view reloads and shares. */
export interface AuditFilters {
  readonly action?: AuditAction;
  readonly environment?: string;
  readonly actor?: string;
}

/** The filters as query parameters, the empty ones left out. */
export function auditQuery(filters: AuditFilters): URLSearchParams {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) if (value) query.set(name, value);
  return query;
}

export type AuditOutcome = 'done' | 'refused' | 'failed';

/** 2xx done, 4xx refused (no rights, bad input, a conflict), 5xx failed. */
export function auditOutcome(status: number): AuditOutcome {
  if (status >= 200 && status < 300) return 'done';
  return status >= 500 ? 'failed' : 'refused';
}

/** The actions whose target is a deployment (the one cancelled, the one rolled back to). */
const DEPLOYMENT_TARGETS: readonly AuditAction[] = ['cancel', 'rollback'];

/** The deployment an entry links to: the one it acted on, else the one it queued. */
export function auditDeployment(entry: AuditEntryView): string | undefined {
  if (entry.target && DEPLOYMENT_TARGETS.includes(entry.action)) return entry.target;
  return entry.result.deploymentId;
}

/** `audit-web-2026-12-06.jsonl`: the application (`installation` for `*`) and the day of the export. */
export function auditExportFileName(app: string, now: Date): string {
  const safe = app === ALL_APPLICATIONS ? 'installation' : app.replace(/[^A-Za-z0-9._-]+/g, '_');
  return `audit-${safe}-${now.toISOString().slice(0, 10)}.jsonl`;
}
