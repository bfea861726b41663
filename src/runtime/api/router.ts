import { RouteHandler } from './api-call';
import type { RouteAudit } from './audit-recording';
import { apiTokenIdProblem } from '../core/api-tokens';
import { isDeploymentId } from '../core/deployment-ids';
import { ValidationError, ValidationIssue } from '../core/errors';
import * as names from '../core/names';

export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** `/`-separated; a `{name}` segment captures a path parameter checked by its rule below. */
  readonly path: string;
  readonly handle: RouteHandler;
  /** Answered without a principal (health, and where GitHub sends the browser back). */
  readonly public?: boolean;
  /** How a call is recorded in the audit trail (every route that changes something has one). @default not recorded */
  readonly audit?: RouteAudit;
}

export type RouteMatch =
  | { readonly kind: 'found'; readonly route: Route; readonly params: Readonly<Record<string, string>> }
  | { readonly kind: 'wrong-method'; readonly allowed: readonly string[] }
  | { readonly kind: 'not-found' };

/** Every path parameter has a rule: nothing unchecked reaches the store. */
const PARAMETER_RULES: Record<string, names.Rule> = {
  app: names.applicationName,
  env: names.environmentName,
  id: value => isDeploymentId(value) ? undefined : `'${names.printable(value)}' is not a deployment id`,
  // GitHub's numeric id of a webhook delivery attempt.
  // An API token's public id. Not echoed: a whole token pasted here would put its secret in the answer.
  token: apiTokenIdProblem,
  delivery: value => /^[1-9][0-9]{0,15}$/.test(value) && Number.isSafeInteger(Number(value)) ? undefined : `'${names.printable(value)}' is not a delivery id (a positive integer)`,
};

/** The route for a method and path; a known path with another method is `wrong-method` (405). */
export function matchRoute(routes: readonly Route[], method: string, path: string): RouteMatch {
  const segments = path.split('/');
  const allowed: string[] = [];
  for (const route of routes) {
    const params = capture(route.path.split('/'), segments);
    if (!params) continue;
    if (route.method === method) return { kind: 'found', route, params };
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { kind: 'wrong-method', allowed } : { kind: 'not-found' };
}

/** Throws a ValidationError naming each parameter that breaks its rule. */
export function checkParams(params: Readonly<Record<string, string>>): void {
  const issues: ValidationIssue[] = [];
  for (const [name, value] of Object.entries(params)) {
    const problem = PARAMETER_RULES[name]?.(value) ?? undefined;
    if (problem) issues.push({ path: name, message: problem });
  }
  if (issues.length > 0) throw new ValidationError(issues);
}

function capture(pattern: readonly string[], segments: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of pattern.entries()) {
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    if (name) {
      if (segments[i] === '') return undefined;
      params[name] = segments[i];
    } else if (part !== segments[i]) {
      return undefined;
    }
  }
  return params;
}
