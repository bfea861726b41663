import { BoundIdentity, IdentityContext } from './bound-identity';
import { optionsError } from './prop-issues';
import { GITHUB_SIGN_IN_AUDIENCE, gitHubSignInIssuer } from '../../contract/github-sign-in';
import { ValidationError, ValidationIssue } from '../../runtime/core/errors';
import { GitHubRoleMapping, parseGitHubRoleMappings } from '../../runtime/core/github-role-mapping';
import { isPlainObject } from '../../runtime/core/plain-object';
import { unknownKeyIssues } from '../../runtime/core/unknown-keys';
import type { GitHubIdentityOptions } from '../dashboard-identity';

/** The options' role mappings, checked by the same rule the local config file's are; throws, naming each problem. */
export function gitHubRoleMappingsOf(options: GitHubIdentityOptions): GitHubRoleMapping[] {
  const issues: ValidationIssue[] = isPlainObject(options) ? unknownKeyIssues(options, ['roles'], '') : [];
  let roles: GitHubRoleMapping[] = [];
  try {
    roles = parseGitHubRoleMappings(options?.roles, 'roles');
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    issues.push(...error.issues);
  }
  if (Array.isArray(options?.roles) && options.roles.length === 0) {
    issues.push({ path: 'roles', message: 'give at least one mapping: without one nobody could sign in' });
  }
  if (issues.length > 0) throw optionsError('DashboardIdentity.gitHub', issues);
  return roles;
}

/**
 * Sign in with GitHub for one dashboard: the control API is the issuer (it serves the OpenID
 * configuration and key set under `/auth/github`). There is no OAuth client in the browser: the
 * dashboard goes to the sign-in route (`authorizeUrl`) and comes back with a token; the token
 * endpoint the page's security headers must let it reach is the API itself.
 */
export function bindGitHubSignIn(context: IdentityContext, roles: readonly GitHubRoleMapping[]): BoundIdentity {
  if (!context.hasGitHubApp) {
    context.fail([{
      path: 'identity',
      message: 'DashboardIdentity.gitHub() signs users in through the GitHub App: give the TrellisPipeline `github` '
        + '(GitHubApp.fromSetupPage() or GitHubApp.fromSecrets())',
    }]);
  }
  const issuer = gitHubSignInIssuer(context.apiUrl);
  return {
    issuer,
    audiences: [GITHUB_SIGN_IN_AUDIENCE],
    jwksUrl: `${issuer}/.well-known/jwks.json`,
    clientId: GITHUB_SIGN_IN_AUDIENCE,
    authorizeUrl: `${issuer}/sign-in`,
    tokenUrl: context.apiUrl,
    scopes: [],
    gitHubRoles: roles,
  };
}
