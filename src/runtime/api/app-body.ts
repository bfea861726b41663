import { bodyFields } from './request-body';
import { parseSettingsBody } from './settings-body';
import { secretVariableIssues } from './settings-rules';
import { CreateApplicationBody, EnvironmentBody } from '../core/api-types';
import { keysOf } from '../core/config-keys';
import { parseApplications } from '../core/config-parse';
import { DEFAULT_ENVIRONMENT_KINDS, standardKindDefaults } from '../core/environment-kinds';
import { ValidationError, ValidationIssue } from '../core/errors';
import { printable } from '../core/names';
import { isPlainObject } from '../core/plain-object';
import { ApplicationConfig, EnvironmentConfig } from '../core/types';
import { unknownKeyIssues } from '../core/unknown-keys';

/**
 * The bodies of POST /api/apps and POST /api/apps/{app}/environments, checked by the rules of
 * code-defined configuration: the body is turned into what the local config file would say and
 * parsed by the same parser (config-parse.ts), so names, branches, repositories, kinds and
 * their defaults are the construct's. Issue paths are the body's (`environments[1].branch`).
 */

export const APPLICATION_BODY_FIELDS = keysOf<CreateApplicationBody>({ name: true, repository: true, environments: true });
export const ENVIRONMENT_BODY_FIELDS = keysOf<EnvironmentBody>({
  name: true,
  kind: true,
  branch: true,
  autoDeploy: true,
  runTests: true,
  testCommand: true,
  variables: true,
  secrets: true,
  region: true,
  account: true,
  deployRoleArn: true,
  framework: true,
  rootDirectory: true,
  nodeVersion: true,
  stacks: true,
  dependencyCache: true,
  healthCheck: true,
});
/** Secrets are set on an environment that exists (its settings), not in the application's body. */
const ENVIRONMENT_FIELDS_IN_APPLICATION = ENVIRONMENT_BODY_FIELDS.filter(field => field !== 'secrets');
/** Well within one DynamoDB transaction (100 items), which creates and deletes an application. */
export const MAX_ENVIRONMENTS = 20;

/** The application to create; without `environments`, development (`dev`, branch main), staging and production. */
export function parseApplicationBody(body: unknown): ApplicationConfig {
  const fields = bodyFields(body, APPLICATION_BODY_FIELDS);
  const environments = fields.environments ?? DEFAULT_ENVIRONMENT_KINDS.map(kind => ({ kind }));
  if (!Array.isArray(environments)) throw new ValidationError([{ path: 'environments', message: 'must be a list of environments' }]);
  if (environments.length > MAX_ENVIRONMENTS) throw new ValidationError([{ path: 'environments', message: `has ${environments.length} environments; at most ${MAX_ENVIRONMENTS}` }]);
  const unknown = environments.flatMap((env, index) => isPlainObject(env) ? unknownKeyIssues(env, ENVIRONMENT_FIELDS_IN_APPLICATION, `environments[${index}]`) : []);
  if (unknown.length > 0) throw new ValidationError(unknown);
  return parseAsConfiguration({ name: fields.name, repository: fields.repository, environments: environments.map(withKindDefaults) }, '');
}

/** A new environment of `app` (validated alone; the caller checks it against the others) and its secret variables. */
export function parseEnvironmentBody(body: unknown, app: { readonly name: string; readonly repository: string }): {
  env: EnvironmentConfig; secrets: Record<string, string>;
} {
  const { secrets, ...fields } = bodyFields(body, ENVIRONMENT_BODY_FIELDS);
  const issues: ValidationIssue[] = [];
  let env: EnvironmentConfig | undefined;
  try {
    env = parseAsConfiguration({ name: app.name, repository: app.repository, environments: [withKindDefaults(fields)] }, 'environments[0]').environments[0];
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    issues.push(...error.issues);
  }
  const secretValues = secrets === undefined ? {} : secretsOf(secrets, issues);
  for (const name of Object.keys(secretValues)) {
    if (env && name in env.variables) issues.push({ path: `secrets.${printable(name, 40)}`, message: 'is also a variable; a name is either a variable or a secret' });
  }
  if (issues.length > 0 || !env) throw new ValidationError(issues);
  return { env, secrets: secretValues };
}

/** Parsed as one application of the local config file; issue paths relative to `within` of it. */
function parseAsConfiguration(raw: Record<string, unknown>, within: string): ApplicationConfig {
  const root = 'body';
  try {
    return parseApplications([raw], {}, root)[0];
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const prefix = `${root}[0].${within ? `${within}.` : ''}`;
    throw new ValidationError(error.issues.map(issue => ({ ...issue, path: issue.path.startsWith(prefix) ? issue.path.slice(prefix.length) : issue.path.replace(`${root}[0].`, '') })));
  }
}

/** A standard kind's name and branch when not given, as the construct's factories and the local config file give them. */
function withKindDefaults(env: unknown): unknown {
  if (!isPlainObject(env)) return env;
  const defaults = standardKindDefaults(env.kind);
  return { ...env, name: env.name ?? defaults?.name, branch: env.branch ?? defaults?.branch };
}

/** Secret variables as settings take them (NAME: value), without the `null` that deletes one there. */
function secretsOf(value: unknown, issues: ValidationIssue[]): Record<string, string> {
  let parsed: Readonly<Record<string, string | null>> = {};
  try {
    parsed = parseSettingsBody({ secrets: value }).secrets ?? {};
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    issues.push(...error.issues);
    return {};
  }
  const values: Record<string, string> = {};
  for (const [name, secret] of Object.entries(parsed)) {
    if (typeof secret === 'string') values[name] = secret;
    else issues.push({ path: `secrets.${printable(name, 40)}`, message: 'must be a string' });
  }
  issues.push(...secretVariableIssues(values));
  return values;
}
