import { ParameterEnv } from './params';
import { EnvironmentConfig } from '../runtime/core/types';

/**
 * The builder's own AWS credentials: the task role's endpoint in the container, static or
 * web-identity credentials elsewhere. An app's install scripts and tests must not reach the
 * builder's permissions (table, every app's secrets, the log-ingest function).
 */
const BUILDER_CREDENTIALS = [
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
];

/** Non-interactive, quiet package managers; the operator's environment may override them. */
const DEFAULTS: Record<string, string> = {
  CI: 'true',
  COREPACK_ENABLE_DOWNLOAD_PROMPT: '0',
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
};

/**
 * The builder's environment without its internals (TRELLIS_*) and its own credentials; with
 * `home`, the app user's HOME instead of the builder's (root's, which the app cannot write).
 */
export function baseEnvironment(processEnv: ParameterEnv, home?: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(processEnv)) {
    if (value === undefined || name.startsWith('TRELLIS_') || BUILDER_CREDENTIALS.includes(name)) continue;
    result[name] = value;
  }
  if (home !== undefined) result.HOME = home;
  return result;
}

/**
 * What the app's install, tests and deploy see: its variables, secrets, the stage and the commit
 * (a deploy from an artifact has no git checkout to ask).
 */
export function appEnvironment(
  base: Readonly<Record<string, string>>,
  env: EnvironmentConfig,
  secrets: Readonly<Record<string, string>>,
  stage: string,
  commit: string,
): Record<string, string> {
  const region: Record<string, string> = env.region ? { AWS_REGION: env.region, AWS_DEFAULT_REGION: env.region } : {};
  return { ...DEFAULTS, ...base, ...env.variables, ...secrets, ...region, STAGE: stage, TRELLIS_STAGE: stage, TRELLIS_COMMIT: commit };
}

/**
 * What build, deploy and remove see: the assumed deploy role's credentials; without a deploy
 * role, the builder's own (the task role; the CDK CLI then assumes the bootstrap roles itself).
 */
export function deployEnvironment(
  appEnv: Readonly<Record<string, string>>,
  processEnv: ParameterEnv,
  credentials: Readonly<Record<string, string>>,
): Record<string, string> {
  if (Object.keys(credentials).length > 0) return { ...appEnv, ...credentials };
  const own: Record<string, string> = {};
  for (const name of BUILDER_CREDENTIALS) {
    const value = processEnv[name];
    if (value !== undefined) own[name] = value;
  }
  return { ...appEnv, ...own };
}
