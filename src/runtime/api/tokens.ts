import { ApiCall } from './api-call';
import { requireInstallationAdmin, requireRole } from './permissions';
import { bodyFields, requiredString } from './request-body';
import { ALL_APPLICATIONS, Principal, ROLES, Role, hasRole } from '../core/access';
import { API_TOKEN_DAYS, ApiTokenRecord, apiTokenNameProblem, apiTokenView, newApiToken } from '../core/api-tokens';
import { ApiTokenView, CreateApiTokenBody, CreatedApiToken } from '../core/api-types';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError, ValidationIssue } from '../core/errors';
import { HttpResponse, json } from '../core/http';
import { applicationName } from '../core/names';

/**
 * API tokens: admins of an application make, list and revoke its tokens (`*` tokens: admins of
 * every application). No token mints or revokes tokens: a leaked token cannot make itself a
 * successor or revoke the others.
 */

const DAY_MS = 24 * 60 * 60 * 1000;
/** Drawing a token id that exists already is a 1-in-36^12 event; a few draws are plenty. */
const ID_DRAWS = 3;

/** The tokens of the applications the caller administers (`*` tokens: admins of all). */
export async function listTokens({ principal, deps }: ApiCall): Promise<HttpResponse> {
  requireAdminOfSome(principal, 'listing API tokens');
  const tokens = await deps.store.apiTokens.list();
  const items: ApiTokenView[] = tokens.filter(token => administers(principal, token.application)).map(apiTokenView);
  return json(200, { items });
}

export async function createToken({ principal, body, deps }: ApiCall): Promise<HttpResponse> {
  refuseTokenCaller(principal, 'create');
  const request = createBody(body);
  const application = request.application ?? ALL_APPLICATIONS;
  requireAdmin(principal, application, 'creating an API token');
  if (application !== ALL_APPLICATIONS && !await deps.store.config.getApplication(application)) {
    throw new NotFoundError(`application ${application} does not exist`);
  }
  const now = deps.clock.now();
  for (let draw = 0; draw < ID_DRAWS; draw++) {
    const { id, token, secretHash } = newApiToken();
    const record: ApiTokenRecord = {
      id,
      name: request.name,
      role: request.role,
      application,
      createdBy: principal.name,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + (request.expiresInDays ?? API_TOKEN_DAYS.default) * DAY_MS).toISOString(),
      secretHash,
    };
    if (!await deps.store.apiTokens.create(record)) continue;
    deps.log({ message: 'api token created', token: id, name: record.name, role: record.role, application, actor: principal.name, expiresAt: record.expiresAt });
    return json(201, { ...apiTokenView(record), token } satisfies CreatedApiToken);
  }
  throw new ConflictError('no free token id was drawn; try again');
}

export async function revokeToken({ principal, params, deps }: ApiCall): Promise<HttpResponse> {
  refuseTokenCaller(principal, 'revoke');
  // Checked before reading: a caller who administers nothing learns nothing of which tokens exist.
  requireAdminOfSome(principal, 'revoking an API token');
  const token = await deps.store.apiTokens.get(params.token);
  if (!token) throw new NotFoundError(`API token ${params.token} does not exist (or was revoked already)`);
  requireAdmin(principal, token.application, `revoking API token ${token.id}`);
  const revoked = await deps.store.apiTokens.revoke(token.id);
  if (!revoked) throw new NotFoundError(`API token ${params.token} was revoked already`);
  deps.log({ message: 'api token revoked', token: revoked.id, name: revoked.name, application: revoked.application, actor: principal.name });
  return json(200, apiTokenView(revoked));
}

function administers(principal: Principal, application: string): boolean {
  return hasRole(principal, application, 'admin');
}

function requireAdminOfSome(principal: Principal, what: string): void {
  if (!principal.grants.some(grant => grant.role === 'admin')) throw new ForbiddenError(`${what} needs the admin role on an application`);
}

function requireAdmin(principal: Principal, application: string, what: string): void {
  if (application === ALL_APPLICATIONS) requireInstallationAdmin(principal, `${what} for all applications`);
  else requireRole(principal, application, 'admin', what);
}

function refuseTokenCaller(principal: Principal, verb: string): void {
  if (principal.apiToken !== undefined) {
    throw new ForbiddenError(`an API token cannot ${verb} API tokens: sign in as a person (no token mints or revokes tokens)`);
  }
}

function createBody(body: unknown): CreateApiTokenBody {
  const fields = bodyFields(body, ['name', 'role', 'application', 'expiresInDays']);
  const issues: ValidationIssue[] = [];
  const name = requiredString(fields, 'name', issues);
  const nameProblem = name === undefined ? undefined : apiTokenNameProblem(name);
  if (nameProblem) issues.push({ path: 'name', message: nameProblem });
  const role = requiredString(fields, 'role', issues);
  if (role !== undefined && !ROLES.includes(role as Role)) issues.push({ path: 'role', message: `must be one of ${ROLES.join(', ')}` });
  const { application, expiresInDays } = fields;
  if (application !== undefined) {
    const problem = typeof application !== 'string' ? 'must be a string' : application === ALL_APPLICATIONS ? undefined : applicationName(application);
    if (problem) issues.push({ path: 'application', message: `${problem} (or '*' for every application)` });
  }
  const days = expiresInDays as number;
  if (expiresInDays !== undefined && !(Number.isInteger(days) && days >= API_TOKEN_DAYS.min && days <= API_TOKEN_DAYS.max)) {
    issues.push({ path: 'expiresInDays', message: `must be a whole number of days from ${API_TOKEN_DAYS.min} to ${API_TOKEN_DAYS.max}` });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return { name: name!, role: role as Role, application: application as string | undefined, expiresInDays: expiresInDays as number | undefined };
}
