import { ApiDeps } from './api-call';
import { ALL_APPLICATIONS, Principal } from '../core/access';
import { apiTokenIdProblem } from '../core/api-tokens';
import { AuditAction, AuditEntryView } from '../core/api-types';
import { auditExpiresAt, newAuditEntryId } from '../core/audit-retention';
import { isDeploymentId } from '../core/deployment-ids';
import { errorMessage } from '../core/errors';
import { HttpResponse } from '../core/http';
import { AUDIT_WRITE_DIMENSION_SETS, METRIC_DIMENSIONS, METRIC_NAMES, metricRecord } from '../core/metrics';
import { applicationName, environmentName } from '../core/names';
import { isPlainObject } from '../core/plain-object';

const MAX_DETAILS = 100;
const MAX_REASON = 500;

/** What a route's audit description reads: the request as it came, and what the route answered. */
export interface AuditedCall {
  readonly params: Readonly<Record<string, string>>;
  /** The body when it was JSON, else undefined. */
  readonly body: unknown;
  /** The answer's JSON (an error's `{ error, reason }` too). */
  readonly answer: unknown;
  readonly status: number;
}

/** What an entry is about; each value is checked before it is kept (an invalid one is left out, an invalid application is `*`). */
export interface AuditSubject {
  readonly application?: string;
  readonly environment?: string;
  readonly target?: string;
  /** Names only, never values. */
  readonly details?: readonly string[];
}

/** How a route is audited: its action, and where its application, environment, target and details are. */
export interface RouteAudit {
  readonly action: AuditAction;
  /** @default the path's `app` and `env` */
  readonly subject?: (call: AuditedCall, deps: ApiDeps) => AuditSubject | Promise<AuditSubject>;
}

/**
 * Record one entry for a route that ran with a principal, whatever it answered. A failed write is
 * logged and counted (AuditWriteFailures), never the request's failure.
 */
export async function recordAudit(
  audit: RouteAudit,
  principal: Principal,
  request: { readonly params: Readonly<Record<string, string>>; readonly body: string },
  response: HttpResponse,
  deps: ApiDeps,
): Promise<void> {
  const at = deps.clock.now();
  try {
    const call: AuditedCall = {
      params: request.params,
      body: jsonOrUndefined(request.body),
      answer: jsonOrUndefined(response.body),
      status: response.statusCode,
    };
    const subject = await (audit.subject ?? pathSubject)(call, deps);
    const entry = auditEntry(audit.action, principal, call, subject, at.toISOString());
    await deps.store.audit.record(entry, auditExpiresAt(at, deps.auditRetentionDays));
  } catch (error) {
    deps.log(metricRecord({
      timestamp: at.getTime(),
      metrics: [{ name: METRIC_NAMES.auditWriteFailures, unit: 'Count', value: 1 }],
      dimensions: { [METRIC_DIMENSIONS.installation]: deps.installation },
      dimensionSets: AUDIT_WRITE_DIMENSION_SETS,
      properties: { message: 'audit write failed', action: audit.action, subject: principal.subject, status: response.statusCode, error: errorMessage(error).slice(0, 500) },
    }));
  }
}

function auditEntry(action: AuditAction, principal: Principal, call: AuditedCall, subject: AuditSubject, at: string): AuditEntryView {
  const answer = isPlainObject(call.answer) ? call.answer : {};
  const environment = subject.environment !== undefined && !environmentName(subject.environment) ? subject.environment : undefined;
  const target = subject.target !== undefined && /^[A-Za-z0-9_.:-]{1,100}$/.test(subject.target) ? subject.target : undefined;
  const details = (subject.details ?? []).filter(detail => /^[A-Za-z0-9_.:/ -]{1,120}$/.test(detail)).slice(0, MAX_DETAILS);
  const deploymentId = call.status === 202 && typeof answer.id === 'string' && isDeploymentId(answer.id) ? answer.id : undefined;
  const reason = call.status >= 400 && typeof answer.reason === 'string' ? withoutSecretValues(answer.reason, call.body).slice(0, MAX_REASON) : undefined;
  return {
    id: newAuditEntryId(),
    at,
    actor: principal.name,
    subject: principal.subject,
    ...principal.apiToken !== undefined && { apiToken: principal.apiToken },
    action,
    application: auditApplication(subject.application),
    ...environment !== undefined && { environment },
    ...target !== undefined && { target },
    ...details.length > 0 && { details },
    result: { status: call.status, ...deploymentId !== undefined && { deploymentId }, ...reason !== undefined && { reason } },
  };
}

/** The trail an entry goes to: a valid application's own, else the installation's (`*`). */
function auditApplication(application: string | undefined): string {
  return application !== undefined && !applicationName(application) ? application : ALL_APPLICATIONS;
}

function pathSubject({ params }: AuditedCall): AuditSubject {
  return { application: params.app, environment: params.env };
}

/** No reason is known to echo a secret's value; should one ever, the entry still does not keep it. */
function withoutSecretValues(reason: string, body: unknown): string {
  const secrets = isPlainObject(body) && isPlainObject(body.secrets) ? Object.values(body.secrets) : [];
  return secrets.reduce<string>((text, value) => typeof value === 'string' && value.length > 0 ? text.split(value).join('***') : text, reason);
}

function jsonOrUndefined(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

// The routes' descriptions (routes.ts), one helper per shape of route.

/** An action in the path's environment; `details` are the names of the options the body gave. */
export function environmentAction(action: AuditAction, options: readonly string[] = []): RouteAudit {
  return { action, subject: ({ params, body }) => ({ application: params.app, environment: params.env, details: givenNames(body, options) }) };
}

/** A rollback: its target is the deployment rolled back to. */
export const rollbackAudit: RouteAudit = {
  action: 'rollback',
  subject: ({ params, body }) => ({ application: params.app, environment: params.env, target: stringField(body, 'deploymentId') }),
};

/**
 * A cancel names only the deployment: its application and environment are in the answer (the
 * deployment); a refused one's are read from the deployment.
 */
export const cancelAudit: RouteAudit = {
  action: 'cancel',
  subject: async ({ params, answer, status }, deps) => {
    const deployment = status === 200 && isPlainObject(answer) ? answer
      : isDeploymentId(params.id) ? await deps.store.deployments.get(params.id) : undefined;
    return { application: stringField(deployment, 'application'), environment: stringField(deployment, 'environment'), target: params.id };
  },
};

/** A settings change: the names of the settings it changed (`variables.LOG_LEVEL`, `secrets.API_KEY`), never a value. */
export const settingsAudit: RouteAudit = {
  action: 'settings',
  subject: ({ params, body }) => ({ application: params.app, environment: params.env, details: settingNames(body) }),
};

export const createApplicationAudit: RouteAudit = {
  action: 'create-application',
  subject: ({ body }) => ({ application: stringField(body, 'name') }),
};

export const addEnvironmentAudit: RouteAudit = {
  action: 'add-environment',
  subject: ({ params, body }) => ({ application: params.app, environment: stringField(body, 'name'), details: settingNames(body) }),
};

/** The installation's own actions (the GitHub App): its trail is `*`. */
export function installationAction(action: AuditAction, target?: (params: Readonly<Record<string, string>>) => string): RouteAudit {
  return { action, subject: ({ params }) => ({ application: ALL_APPLICATIONS, target: target?.(params) }) };
}

/** A new token: its trail is its application's; the target is its id, read from the answer (which holds the secret too: nothing else is read). */
export const createTokenAudit: RouteAudit = {
  action: 'create-token',
  subject: ({ body, answer, status }) => ({
    application: stringField(body, 'application') ?? ALL_APPLICATIONS,
    target: status === 201 ? tokenId(stringField(answer, 'id')) : undefined,
    details: status === 201 ? [`name ${stringField(answer, 'name')}`, `role ${stringField(answer, 'role')}`] : undefined,
  }),
};

/** A revoked token's application is read from the answer, or from the token when it was refused. */
export const revokeTokenAudit: RouteAudit = {
  action: 'revoke-token',
  subject: async ({ params, answer, status }, deps) => {
    const id = tokenId(params.token);
    const application = status < 300 ? stringField(answer, 'application') : id && (await deps.store.apiTokens.get(id))?.application;
    return { application: application ?? ALL_APPLICATIONS, target: id };
  },
};

function tokenId(value: string | undefined): string | undefined {
  return value !== undefined && !apiTokenIdProblem(value) ? value : undefined;
}

function stringField(value: unknown, name: string): string | undefined {
  return isPlainObject(value) && typeof value[name] === 'string' ? value[name] as string : undefined;
}

function givenNames(body: unknown, names: readonly string[]): string[] {
  return isPlainObject(body) ? names.filter(name => body[name] !== undefined) : [];
}

/** Top-level settings by name; variables and secrets by `variables.<NAME>` / `secrets.<NAME>`. */
function settingNames(body: unknown): string[] {
  if (!isPlainObject(body)) return [];
  return Object.entries(body).flatMap(([name, value]) => (name === 'variables' || name === 'secrets') && isPlainObject(value)
    ? Object.keys(value).map(key => `${name}.${key}`)
    : ['branch', 'runTests', 'testCommand', 'autoDeploy', 'kind'].includes(name) ? [name] : []);
}
