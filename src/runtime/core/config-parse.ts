import { APPLICATION_KEYS, ENVIRONMENT_KEYS, FRAMEWORK_KEYS, HEALTH_CHECK_KEYS, PREVIEWS_KEYS } from './config-keys';
import { HEALTH_CHECK_DEFAULTS, ValidationContext, validateApplications } from './config-validation';
import { kindSwitchDefaults } from './environment-kinds';
import { ValidationError, ValidationIssue } from './errors';
import { parseNotifications } from './notification-rules';
import { isPlainObject } from './plain-object';
import { PREVIEW_DEFAULTS } from './previews';
import { ApplicationConfig, EnvironmentConfig, EnvironmentKind, FrameworkConfig, FrameworkKind, HealthCheckConfig, PreviewForks, PreviewsConfig } from './types';
import { unknownKeyIssues } from './unknown-keys';

const KINDS: readonly EnvironmentKind[] = ['development', 'staging', 'production', 'custom'];
const FRAMEWORKS: readonly FrameworkKind[] = ['sst', 'cdk', 'serverless', 'sam', 'custom'];
const COMMANDS = ['install', 'build', 'deploy', 'remove'] as const;

/**
 * Turn untrusted JSON (custom resource properties, the local config file) into validated
 * configuration, or throw a ValidationError naming every bad field. Every object refuses keys
 * its type does not have (config-keys.ts), so a misspelt optional field is an error, not a default.
 */
export function parseApplications(input: unknown, context: ValidationContext = {}, path = 'applications'): ApplicationConfig[] {
  const issues: ValidationIssue[] = [];
  if (!Array.isArray(input)) throw new ValidationError([{ path, message: 'must be a list of applications' }]);
  const apps = input.map((raw, index) => parseApplication(raw, `${path}[${index}]`, issues));
  if (issues.length === 0) issues.push(...validateApplications(apps, context, path));
  if (issues.length > 0) throw new ValidationError(issues);
  return apps;
}

function parseApplication(raw: unknown, path: string, issues: ValidationIssue[]): ApplicationConfig {
  const app = record(raw, path, APPLICATION_KEYS, issues);
  const environments = Array.isArray(app.environments)
    ? app.environments.map((env, index) => parseEnvironment(env, `${path}.environments[${index}]`, issues))
    : (issues.push({ path: `${path}.environments`, message: 'must be a list' }), []);
  return {
    name: text(app.name, `${path}.name`, issues) ?? '',
    repository: text(app.repository, `${path}.repository`, issues) ?? '',
    rootDirectory: optionalText(app.rootDirectory, `${path}.rootDirectory`, issues),
    environments,
    ...app.notifications !== undefined && app.notifications !== null && { notifications: parseNotifications(app.notifications, `${path}.notifications`, issues) },
    ...app.previews !== undefined && app.previews !== null && { previews: parsePreviews(app.previews, `${path}.previews`, issues) },
  };
}

/** `{ from, forks?, maxConcurrent?, buildRoleArn?, forkBuildRoleArn? }`, defaults filled in (config-validation.ts checks the values). */
function parsePreviews(raw: unknown, path: string, issues: ValidationIssue[]): PreviewsConfig {
  const previews = record(raw, path, PREVIEWS_KEYS, issues);
  return {
    from: text(previews.from, `${path}.from`, issues) ?? '',
    forks: (optionalText(previews.forks, `${path}.forks`, issues) ?? PREVIEW_DEFAULTS.forks) as PreviewForks,
    maxConcurrent: optionalNumber(previews.maxConcurrent, `${path}.maxConcurrent`, issues) ?? PREVIEW_DEFAULTS.maxConcurrent,
    ...previews.buildRoleArn !== undefined && { buildRoleArn: optionalText(previews.buildRoleArn, `${path}.buildRoleArn`, issues) },
    ...previews.forkBuildRoleArn !== undefined && { forkBuildRoleArn: optionalText(previews.forkBuildRoleArn, `${path}.forkBuildRoleArn`, issues) },
  };
}

function parseEnvironment(raw: unknown, path: string, issues: ValidationIssue[]): EnvironmentConfig {
  const env = record(raw, path, ENVIRONMENT_KEYS, issues);
  const kind = env.kind ?? 'custom';
  if (!KINDS.includes(kind as EnvironmentKind)) issues.push({ path: `${path}.kind`, message: `must be one of ${KINDS.join(', ')}` });
  const branch = optionalText(env.branch, `${path}.branch`, issues);
  const defaults = kindSwitchDefaults(String(kind), branch);
  // As the construct: tests asked for must run; by default ([]) the package's test script, if any.
  const testCommand = env.testCommand ?? (env.runTests === true ? ['npm', 'run', 'test'] : []);
  if (!Array.isArray(testCommand) || !testCommand.every(arg => typeof arg === 'string')) {
    issues.push({ path: `${path}.testCommand`, message: 'must be a list of strings (an argument vector)' });
  }
  const variables = env.variables ?? {};
  const variablesOk = isPlainObject(variables) && Object.values(variables).every(value => typeof value === 'string');
  if (!variablesOk) issues.push({ path: `${path}.variables`, message: 'must map names to string values' });
  return {
    name: text(env.name, `${path}.name`, issues) ?? '',
    kind: kind as EnvironmentKind,
    branch,
    autoDeploy: flag(env.autoDeploy, `${path}.autoDeploy`, issues) ?? defaults.autoDeploy,
    runTests: flag(env.runTests, `${path}.runTests`, issues) ?? defaults.runTests,
    testCommand: Array.isArray(testCommand) ? testCommand as string[] : [],
    region: optionalText(env.region, `${path}.region`, issues),
    account: optionalText(env.account, `${path}.account`, issues),
    deployRoleArn: optionalText(env.deployRoleArn, `${path}.deployRoleArn`, issues),
    buildRoleArn: optionalText(env.buildRoleArn, `${path}.buildRoleArn`, issues),
    variables: variablesOk ? variables as Record<string, string> : {},
    protected: flag(env.protected, `${path}.protected`, issues) ?? defaults.protected,
    dependencyCache: flag(env.dependencyCache, `${path}.dependencyCache`, issues),
    nodeVersion: optionalText(env.nodeVersion, `${path}.nodeVersion`, issues),
    stacks: optionalTextList(env.stacks, `${path}.stacks`, issues),
    rootDirectory: optionalText(env.rootDirectory, `${path}.rootDirectory`, issues),
    framework: env.framework === undefined || env.framework === null ? undefined : parseFramework(env.framework, `${path}.framework`, issues),
    healthCheck: env.healthCheck === undefined || env.healthCheck === null ? undefined : parseHealthCheck(env.healthCheck, `${path}.healthCheck`, issues),
  };
}

/** `{ url | stackOutput, minStatus?, maxStatus?, timeoutSeconds?, retries?, intervalSeconds? }`, defaults filled in. */
function parseHealthCheck(raw: unknown, path: string, issues: ValidationIssue[]): HealthCheckConfig {
  const check = record(raw, path, HEALTH_CHECK_KEYS, issues);
  const value = (field: keyof typeof HEALTH_CHECK_DEFAULTS) => optionalNumber(check[field], `${path}.${field}`, issues) ?? HEALTH_CHECK_DEFAULTS[field];
  return {
    url: optionalText(check.url, `${path}.url`, issues),
    stackOutput: optionalText(check.stackOutput, `${path}.stackOutput`, issues),
    minStatus: value('minStatus'),
    maxStatus: value('maxStatus'),
    timeoutSeconds: value('timeoutSeconds'),
    retries: value('retries'),
    intervalSeconds: value('intervalSeconds'),
  };
}

function parseFramework(raw: unknown, path: string, issues: ValidationIssue[]): FrameworkConfig | undefined {
  const framework = record(raw, path, FRAMEWORK_KEYS, issues);
  if (!FRAMEWORKS.includes(framework.kind as FrameworkKind)) {
    issues.push({ path: `${path}.kind`, message: `must be one of ${FRAMEWORKS.join(', ')}` });
    return undefined;
  }
  const result: Record<string, unknown> = { kind: framework.kind };
  for (const command of COMMANDS) {
    const argv = framework[command];
    if (argv === undefined || argv === null) continue;
    if (!Array.isArray(argv) || !argv.every(arg => typeof arg === 'string')) {
      issues.push({ path: `${path}.${command}`, message: 'must be a list of strings (an argument vector)' });
    } else {
      result[command] = argv;
    }
  }
  const artifact = framework.artifact;
  if (Array.isArray(artifact) && artifact.every(item => typeof item === 'string')) result.artifact = artifact;
  else if (artifact !== undefined && artifact !== null) issues.push({ path: `${path}.artifact`, message: 'must be a list of strings (paths relative to the repository)' });
  return result as unknown as FrameworkConfig;
}

/** The object at `path`, its unknown keys named; not an object: `{}` and an issue. */
function record(raw: unknown, path: string, known: readonly string[], issues: ValidationIssue[]): Record<string, unknown> {
  if (isPlainObject(raw)) {
    issues.push(...unknownKeyIssues(raw, known, path));
    return raw;
  }
  issues.push({ path, message: 'must be an object' });
  return {};
}

function text(value: unknown, path: string, issues: ValidationIssue[]): string | undefined {
  if (typeof value === 'string') return value;
  issues.push({ path, message: 'must be a string' });
  return undefined;
}

function optionalText(value: unknown, path: string, issues: ValidationIssue[]): string | undefined {
  return value === undefined || value === null ? undefined : text(value, path, issues);
}

function optionalNumber(value: unknown, path: string, issues: ValidationIssue[]): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  issues.push({ path, message: 'must be a number' });
  return undefined;
}

function flag(value: unknown, path: string, issues: ValidationIssue[]): boolean | undefined {
  if (value === undefined || value === null || typeof value === 'boolean') return value ?? undefined;
  issues.push({ path, message: 'must be true or false' });
  return undefined;
}

function optionalTextList(value: unknown, path: string, issues: ValidationIssue[]): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value) && value.every(item => typeof item === 'string')) return value as string[];
  issues.push({ path, message: 'must be a list of strings' });
  return undefined;
}
