import { NameForm, propPathAs } from './name-forms';
import { DeploymentStatus } from './types';

/**
 * Typed errors at the edges. Each maps to one HTTP status in one table (httpStatusOf),
 * so handlers and the local server answer the same way.
 */
export abstract class TrellisError extends Error {
  abstract readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Input that breaks a rule; `path` names the offending prop or field. */
export class ValidationError extends TrellisError {
  readonly code = 'invalid_input';
  constructor(readonly issues: readonly ValidationIssue[]) {
    super(issues.map(formatIssue).join('\n'));
  }
}

export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

/** `path: message`, the path as written: JSON field names (the local config file, the API). */
export function formatIssue(issue: ValidationIssue): string {
  return `${issue.path}: ${issue.message}`;
}

/**
 * `path: message` for an issue of construct props (synth time), each prop of the path named as
 * `form` spells it (`applications[0].environments[1].root_directory` for Python).
 */
export function formatIssueAs(issue: ValidationIssue, form: NameForm): string {
  return formatIssue({ ...issue, path: propPathAs(issue.path, form) });
}

export class NotFoundError extends TrellisError {
  readonly code = 'not_found';
}

/** No credentials, or credentials that do not verify. */
export class UnauthorizedError extends TrellisError {
  readonly code = 'unauthorized';
}

/** Known caller, not allowed to do this. */
export class ForbiddenError extends TrellisError {
  readonly code = 'forbidden';
}

/** A conditional write lost: the state moved on since it was read. */
export class ConflictError extends TrellisError {
  readonly code = 'conflict';
}

export class IllegalTransitionError extends ConflictError {
  constructor(readonly deploymentId: string, readonly from: DeploymentStatus | undefined, readonly to: DeploymentStatus) {
    super(`deployment ${deploymentId} cannot move from ${from ?? 'nowhere'} to ${to}`);
  }
}

const HTTP_STATUS: Record<string, number> = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
};

export function httpStatusOf(error: unknown): number {
  return error instanceof TrellisError ? HTTP_STATUS[error.code] ?? 500 : 500;
}

/** The message of anything thrown, for a reason or a log line. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
