import { Token } from 'aws-cdk-lib';
import { urlProblem } from './dashboard-web';
import { ValidationIssue } from '../../runtime/core/errors';
import { githubLogin } from '../../runtime/core/names';

/** The GitHub endpoints of a GitHubApp's options: https URLs without query or fragment (a token is left to deploy time). */
export function githubEndpointIssues(options: { readonly apiUrl?: string; readonly webUrl?: string }): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const key of ['apiUrl', 'webUrl'] as const) {
    const value = options[key];
    const problem = value === undefined ? undefined : typeof value === 'string' ? urlProblem(value) : 'must be a URL';
    if (problem) issues.push({ path: key, message: problem });
  }
  return issues;
}

/** An organization's login, at `path`. */
export function organizationIssues(value: string, path: string): ValidationIssue[] {
  if (Token.isUnresolved(value)) return [];
  const problem = typeof value === 'string' ? githubLogin(value) : 'must be an organization login';
  return problem ? [{ path, message: problem }] : [];
}
