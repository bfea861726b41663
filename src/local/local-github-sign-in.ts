import { FileSecretSource } from './file-secret-source';
import { LocalIdentity } from './local-identity';
import { GITHUB_SIGN_IN_AUDIENCE, gitHubSignInIssuer } from '../contract/github-sign-in';
import { secretNames } from '../contract/secret-names';
import { ApiDeps } from '../runtime/api/api-call';
import { GitHubSignInSettings } from '../runtime/auth/github-sign-in';
import { SessionSigningKey } from '../runtime/auth/session-signing-key';
import { DashboardAuth } from '../runtime/core/api-types';
import { ValidationError, ValidationIssue } from '../runtime/core/errors';
import { GitHubRoleMapping, parseGitHubRoleMappings } from '../runtime/core/github-role-mapping';
import { isPlainObject } from '../runtime/core/plain-object';
import { unknownKeyIssues } from '../runtime/core/unknown-keys';

/**
 * How local mode's dashboard signs in: always the local user and password; with GitHub (the
 * stand-in) too when the API has a GitHub connection and sign-in settings. The local server's
 * one verifier then takes both issuers' tokens. Called once the server's URL is known.
 */
export function localDashboardAuth(identity: LocalIdentity, api: Pick<ApiDeps, 'github' | 'githubSignIn'>, serverUrl: string): DashboardAuth {
  const settings = api.githubSignIn;
  if (!settings || !api.github) return { kind: 'local' };
  const routes = gitHubSignInIssuer(serverUrl);
  identity.trust({ issuer: settings.issuer ?? routes, audience: GITHUB_SIGN_IN_AUDIENCE, keys: () => settings.signingKey.jwks() });
  return { kind: 'local', githubSignInUrl: `${routes}/sign-in` };
}

/** The organization of the stand-in's default user. */
export const LOCAL_GITHUB_ORGANIZATION = 'trellis-local';

/**
 * The user local mode's GitHub stand-in has from the start: signing in as them makes you an
 * admin, as the local password sign-in does (the default mapping below).
 */
export const LOCAL_GITHUB_USER = { login: 'trellis-developer', name: 'Trellis Developer', organizations: [LOCAL_GITHUB_ORGANIZATION], teams: [] };

/** Without `github.roles` in the config file: every member of the stand-in's organization is an admin. */
export const DEFAULT_LOCAL_GITHUB_ROLES: readonly GitHubRoleMapping[] = [{ organization: LOCAL_GITHUB_ORGANIZATION, role: 'admin' }];

/** Local mode's sign in with GitHub: the config file's mapping or the default, the session key in the secrets file. */
export function localGitHubSignIn(config: { readonly githubRoles?: readonly GitHubRoleMapping[] }, secrets: FileSecretSource, installation: string,
  log: (entry: Record<string, unknown>) => void): GitHubSignInSettings {
  return {
    roles: config.githubRoles ?? DEFAULT_LOCAL_GITHUB_ROLES,
    signingKey: new SessionSigningKey(secrets, secretNames.sessionSigningKey(installation), log),
  };
}

/**
 * The config file's `github` section (`{ "roles": [...] }`): the role mapping, checked as the
 * construct checks it; problems are added to `issues`. Undefined when the file has none.
 */
export function localGitHubRoles(section: unknown, issues: ValidationIssue[]): GitHubRoleMapping[] | undefined {
  if (section === undefined) return undefined;
  if (!isPlainObject(section)) {
    issues.push({ path: 'github', message: 'must be an object: { "roles": [{ "organization": ..., "team"?: ..., "role": ..., "application"?: ... }] }' });
    return undefined;
  }
  issues.push(...unknownKeyIssues(section, ['roles'], 'github'));
  try {
    return parseGitHubRoleMappings(section.roles, 'github.roles');
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    issues.push(...error.issues);
    return undefined;
  }
}
