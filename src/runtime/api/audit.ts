import { ApiCall } from './api-call';
import { requireInstallationAdmin, requireRole } from './permissions';
import { integerQuery } from './query';
import { ALL_APPLICATIONS } from '../core/access';
import { AUDIT_ACTIONS, AuditAction, AuditEntryView } from '../core/api-types';
import { NotFoundError, ValidationError, ValidationIssue } from '../core/errors';
import { HttpResponse, json } from '../core/http';
import { environmentName, printable } from '../core/names';
import { AuditListOptions, Store } from '../core/ports';

/** An export holds at most this many entries (newest first): a few megabytes, within one answer. */
export const MAX_AUDIT_EXPORT = 10_000;
const MAX_ACTOR = 200;

/**
 * `GET /api/apps/{app}/audit`: the application's audit trail, newest first, for its admins. The
 * application need not exist any more: a deleted application's trail stays readable.
 */
export async function readAuditTrail({ principal, params, query, deps }: ApiCall): Promise<HttpResponse> {
  requireRole(principal, params.app, 'admin', 'reading the audit trail');
  const options = auditQuery(query);
  await requireTrail(deps.store, params.app);
  return answerTrail(params.app, options, query.format === 'jsonl', deps.store);
}

/**
 * `GET /api/audit`: the installation's own trail (`*`: the GitHub App, tokens for every
 * application), for the installation's admins.
 */
export async function readInstallationAuditTrail({ principal, query, deps }: ApiCall): Promise<HttpResponse> {
  requireInstallationAdmin(principal, "reading the installation's audit trail");
  return answerTrail(ALL_APPLICATIONS, auditQuery(query), query.format === 'jsonl', deps.store);
}

/** A page of `trail`, or with `jsonl` every match (up to MAX_AUDIT_EXPORT) as JSON lines. */
async function answerTrail(trail: string, options: AuditListOptions, jsonLines: boolean, store: Store): Promise<HttpResponse> {
  if (!jsonLines) return json(200, await store.audit.list(trail, options));
  const entries: AuditEntryView[] = [];
  let cursor = options.cursor;
  do {
    const page = await store.audit.list(trail, { ...options, cursor, limit: Math.min(200, MAX_AUDIT_EXPORT - entries.length) });
    entries.push(...page.items);
    cursor = page.cursor;
  } while (cursor !== undefined && entries.length < MAX_AUDIT_EXPORT);
  const fileName = trail === ALL_APPLICATIONS ? 'installation' : trail;
  return {
    statusCode: 200,
    headers: {
      'content-type': 'application/x-ndjson; charset=utf-8',
      'cache-control': 'no-store',
      'content-disposition': `attachment; filename="${fileName}-audit.jsonl"`,
    },
    body: entries.map(entry => `${JSON.stringify(entry)}\n`).join(''),
  };
}

/** 404 for a name that is neither an application nor has a trail (a deleted application's has one). */
async function requireTrail(store: Store, application: string): Promise<void> {
  if (await store.config.getApplication(application)) return;
  if ((await store.audit.list(application, { limit: 1 })).items.length > 0) return;
  throw new NotFoundError(`application ${application} does not exist and has no audit trail`);
}

function auditQuery(query: Readonly<Record<string, string | undefined>>): AuditListOptions {
  const issues: ValidationIssue[] = [];
  const given = (name: string) => query[name] === undefined || query[name] === '' ? undefined : query[name];
  const action = given('action');
  if (action !== undefined && !AUDIT_ACTIONS.includes(action as AuditAction)) {
    issues.push({ path: 'action', message: `'${printable(action, 40)}' is not an action (${AUDIT_ACTIONS.join(', ')})` });
  }
  const actor = given('actor');
  if (actor !== undefined && actor.length > MAX_ACTOR) issues.push({ path: 'actor', message: `is ${actor.length} characters; at most ${MAX_ACTOR}` });
  const environment = given('environment');
  const environmentProblem = environment === undefined ? undefined : environmentName(environment);
  if (environmentProblem) issues.push({ path: 'environment', message: environmentProblem });
  const format = given('format');
  if (format !== undefined && format !== 'json' && format !== 'jsonl') issues.push({ path: 'format', message: `'${printable(format, 20)}' is not json or jsonl` });
  if (issues.length > 0) throw new ValidationError(issues);
  return {
    limit: integerQuery(query, 'limit', 1, 200),
    cursor: given('cursor'),
    action: action as AuditAction | undefined,
    actor,
    environment,
  };
}
