import { GitHubSignInSettings } from './github-sign-in';
import { SessionSigningKey } from './session-signing-key';
import { CONTROL_API_ENV, GITHUB_SIGN_IN_ENV } from '../../contract/function-environment';
import { secretNames } from '../../contract/secret-names';
import { formatIssue, ValidationError } from '../core/errors';
import { parseGitHubRoleMappings } from '../core/github-role-mapping';
import { SecretCreator, SecretSource } from '../core/ports';

/**
 * The control API function's sign in with GitHub from its environment: on when
 * GITHUB_SIGN_IN_ROLES holds the role mapping (JSON), off (undefined) when it is unset. The
 * issuer is GITHUB_SIGN_IN_ISSUER (as the verifiers of the control API and the log socket have it), sign-ins may return
 * to the dashboard's origins (DASHBOARD_ORIGINS), and the key is the installation's
 * session-signing-key secret. A mapping the construct would have refused stops the function.
 */
export function gitHubSignInFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  secrets: SecretSource & SecretCreator,
  log: (entry: Record<string, unknown>) => void,
): GitHubSignInSettings | undefined {
  const roles = env[GITHUB_SIGN_IN_ENV.roles];
  if (!roles) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(roles);
  } catch {
    throw new Error(`${GITHUB_SIGN_IN_ENV.roles} is not JSON: it must be the list of GitHub role mappings`);
  }
  let mappings;
  try {
    mappings = parseGitHubRoleMappings(parsed, GITHUB_SIGN_IN_ENV.roles);
  } catch (error) {
    if (error instanceof ValidationError) throw new Error(error.issues.map(formatIssue).join('; '));
    throw error;
  }
  const installation = env[CONTROL_API_ENV.installation]!;
  const issuer = env[GITHUB_SIGN_IN_ENV.issuer] || undefined;
  return {
    roles: mappings,
    signingKey: new SessionSigningKey(secrets, secretNames.sessionSigningKey(installation), log),
    returnOrigins: (env[CONTROL_API_ENV.dashboardOrigins] ?? '').split(/\s+/).filter(Boolean),
    ...issuer && { issuer },
  };
}
