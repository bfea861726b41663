import { ValidationIssue } from './errors';
import * as names from './names';
import { nodeVersionProblem } from './node-version-spec';
import { validateNotifications } from './notification-rules';
import { validatePreviews } from './previews';
import { rootDirectoryProblem } from './root-directory';
import { ApplicationConfig, EnvironmentConfig, HealthCheckConfig } from './types';

export interface ValidationContext {
  /** Values not known until deploy (CDK tokens) are skipped by the format rules. */
  readonly isUnresolved?: (value: string) => boolean;
}

const MAX_VARIABLE_VALUE = 4096;
const MAX_TEST_ARGS = 64;
const MAX_TEST_ARG = 1024;
const MAX_URL = 2048;
/** A CloudFormation output's logical id. */
const OUTPUT_NAME = /^[A-Za-z0-9]{1,255}$/;

/** Limits of the health check, with the defaults every reader applies to what is not given. */
export const HEALTH_CHECK_LIMITS = {
  status: { min: 100, max: 599 },
  timeoutSeconds: { min: 1, max: 120 },
  retries: { min: 0, max: 10 },
  intervalSeconds: { min: 0, max: 300 },
} as const;

export const HEALTH_CHECK_DEFAULTS = { minStatus: 200, maxStatus: 399, timeoutSeconds: 10, retries: 3, intervalSeconds: 5 } as const;

/**
 * Every rule of the code-defined configuration, in one place: synth-time validation,
 * the local config file and the settings API all call this.
 * Paths name the prop as the user wrote it, e.g. `applications[0].environments[2].autoDeploy`.
 */
export function validateApplications(apps: readonly ApplicationConfig[], context: ValidationContext = {}, path = 'applications'): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const seen = new Map<string, number>();
  apps.forEach((app, index) => {
    const appPath = `${path}[${index}]`;
    issues.push(...validateApplication(app, context, appPath));
    const first = seen.get(app.name);
    if (first !== undefined) {
      issues.push({ path: `${appPath}.name`, message: `'${names.printable(app.name)}' is already used by ${path}[${first}]; application names must be unique` });
    } else {
      seen.set(app.name, index);
    }
  });
  return issues;
}

export function validateApplication(app: ApplicationConfig, context: ValidationContext = {}, path = 'application'): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const check = (field: string, value: string | undefined, rule: names.Rule) => {
    if (value === undefined || context.isUnresolved?.(value)) return;
    const problem = rule(value);
    if (problem) issues.push({ path: `${path}.${field}`, message: problem });
  };
  check('name', app.name, names.applicationName);
  check('repository', app.repository, names.repository);
  check('rootDirectory', app.rootDirectory, rootDirectoryProblem);
  issues.push(...validateNotifications(
    app.notifications, app.environments.map(env => env.name), `${path}.notifications`, context.isUnresolved, app.previews !== undefined,
  ));
  issues.push(...validatePreviews(app, path, context.isUnresolved));
  if (app.environments.length === 0) {
    issues.push({ path: `${path}.environments`, message: 'an application needs at least one environment' });
  }

  const namesSeen = new Map<string, number>();
  const autoBranches = new Map<string, number>();
  app.environments.forEach((env, index) => {
    const envPath = `environments[${index}]`;
    issues.push(...validateEnvironment(env, context, `${path}.${envPath}`));
    const sameName = namesSeen.get(env.name);
    if (sameName !== undefined) {
      issues.push({ path: `${path}.${envPath}.name`, message: `'${names.printable(env.name)}' is already used by environments[${sameName}]; environment names must be unique within an application` });
    } else {
      namesSeen.set(env.name, index);
    }
    if (env.autoDeploy && env.branch !== undefined) {
      const sameBranch = autoBranches.get(env.branch);
      if (sameBranch !== undefined) {
        issues.push({
          path: `${path}.${envPath}.branch`,
          message: `environments[${sameBranch}] already deploys branch '${names.printable(env.branch)}' automatically; one push would race two environments. Set autoDeploy: false on one of them or use another branch`,
        });
      } else {
        autoBranches.set(env.branch, index);
      }
    }
  });
  return issues;
}

export function validateEnvironment(env: EnvironmentConfig, context: ValidationContext = {}, path = 'environment'): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const add = (field: string, message: string) => issues.push({ path: `${path}.${field}`, message });
  const check = (field: string, value: string | undefined, rule: names.Rule) => {
    if (value === undefined || context.isUnresolved?.(value)) return;
    const problem = rule(value);
    if (problem) add(field, problem);
  };

  check('name', env.name, names.environmentName);
  check('branch', env.branch, names.branchName);
  check('region', env.region, names.region);
  check('account', env.account, names.account);
  check('deployRoleArn', env.deployRoleArn, names.roleArn);
  check('buildRoleArn', env.buildRoleArn, names.roleArn);
  check('nodeVersion', env.nodeVersion, nodeVersionProblem);
  check('rootDirectory', env.rootDirectory, rootDirectoryProblem);
  if (env.stacks !== undefined) {
    if (env.stacks.length === 0 || env.stacks.length > MAX_STACK_PATTERNS) add('stacks', `must have 1 to ${MAX_STACK_PATTERNS} patterns`);
    env.stacks.forEach((pattern, index) => check(`stacks[${index}]`, pattern, stackPatternProblem));
  }

  if (env.kind === 'production' && env.autoDeploy) {
    add('autoDeploy', 'production never deploys on push; it is reached only by promotion (remove autoDeploy or use DeploymentEnvironment.custom)');
  }
  if (env.autoDeploy && env.branch === undefined) {
    add('autoDeploy', 'an environment that deploys on push needs a branch');
  }
  // An empty test command is "auto": the package's test script when it has one.
  const testProblem = env.testCommand.length > 0 ? argvProblem(env.testCommand) : undefined;
  if (testProblem) add('testCommand', testProblem);
  if (env.framework) {
    const commands = { install: env.framework.install, build: env.framework.build, deploy: env.framework.deploy, remove: env.framework.remove };
    if (env.framework.kind === 'custom' && (!commands.deploy || !commands.remove)) {
      add('framework', 'a custom framework needs both a deploy and a remove command');
    }
    for (const [name, argv] of Object.entries(commands)) {
      const problem = argv && argvProblem(argv);
      if (problem) add(`framework.${name}`, problem);
    }
    if (env.framework.artifact) {
      const problem = artifactPathsProblem(env.framework.artifact, env.framework.deploy !== undefined);
      if (problem) add('framework.artifact', problem);
    }
  }
  if (env.healthCheck) {
    for (const issue of validateHealthCheck(env.healthCheck, context)) add(`healthCheck${issue.path && `.${issue.path}`}`, issue.message);
  }
  for (const [name, value] of Object.entries(env.variables)) {
    check(`variables.${names.printable(name, 40)}`, name, names.variableName);
    if (name.startsWith('TRELLIS_') || name.startsWith('AWS_')) {
      add(`variables.${names.printable(name, 40)}`, 'names starting with TRELLIS_ or AWS_ are reserved for the builder');
    }
    // Values are data, kept exactly; NUL cannot reach a process environment.
    if (typeof value !== 'string' || value.length > MAX_VARIABLE_VALUE || value.includes('\0')) {
      add(`variables.${names.printable(name, 40)}`, `value must be a string of at most ${MAX_VARIABLE_VALUE} characters without NUL`);
    } else if (names.hasLoneSurrogate(value)) {
      // Stored as UTF-8 it would silently become U+FFFD: refused rather than changed.
      add(`variables.${names.printable(name, 40)}`, 'value is not valid Unicode text (it has a lone surrogate)');
    }
  }
  return issues;
}

/** Every command is an argument vector: 1-64 non-empty arguments without NUL. */
const MAX_STACK_PATTERNS = 50;
const MAX_STACK_PATTERN = 256;

/** A CDK stack pattern (the environment's `stacks`): a stack id with `*` and `{stage}`, nothing a shell or CDK would read otherwise. */
function stackPatternProblem(pattern: string): string | undefined {
  if (pattern.length === 0 || pattern.length > MAX_STACK_PATTERN) return `must be 1 to ${MAX_STACK_PATTERN} characters`;
  if (!/^[A-Za-z0-9*/_.{}-]+$/.test(pattern) || pattern.replace(/\{stage\}/g, '').includes('{')) {
    return 'may contain letters, digits, -, _, ., /, * and {stage} only';
  }
  return undefined;
}

function argvProblem(argv: readonly string[]): string | undefined {
  if (argv.length === 0 || argv.length > MAX_TEST_ARGS) return `must have 1 to ${MAX_TEST_ARGS} arguments`;
  if (argv.some(arg => arg.length === 0 || arg.length > MAX_TEST_ARG || arg.includes('\0'))) {
    return `arguments must be non-empty, at most ${MAX_TEST_ARG} characters and contain no NUL`;
  }
  return undefined;
}

/** Issues of a health check, with paths relative to it ('' = the check itself). */
function validateHealthCheck(check: HealthCheckConfig, context: ValidationContext): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  if ((check.url === undefined) === (check.stackOutput === undefined)) {
    add('', 'give exactly one of url and stackOutput');
  }
  if (check.url !== undefined && !context.isUnresolved?.(check.url)) {
    const problem = httpUrlProblem(check.url);
    if (problem) add('url', problem);
  }
  if (check.stackOutput !== undefined && !context.isUnresolved?.(check.stackOutput) && !OUTPUT_NAME.test(check.stackOutput)) {
    add('stackOutput', `'${names.printable(check.stackOutput)}' must be a CloudFormation output name: 1-255 letters and digits`);
  }
  const { status, timeoutSeconds, retries, intervalSeconds } = HEALTH_CHECK_LIMITS;
  const statusOk = (value: number) => Number.isInteger(value) && value >= status.min && value <= status.max;
  for (const field of ['minStatus', 'maxStatus'] as const) {
    if (!statusOk(check[field])) add(field, `${check[field]} is not an HTTP status: must be a whole number from ${status.min} to ${status.max}`);
  }
  if (statusOk(check.minStatus) && statusOk(check.maxStatus) && check.minStatus > check.maxStatus) {
    add('maxStatus', `${check.maxStatus} is below minStatus ${check.minStatus}; no status could pass`);
  }
  const seconds = (field: 'timeoutSeconds' | 'intervalSeconds', what: string, limits: { min: number; max: number }) => {
    const value = check[field];
    if (!(Number.isFinite(value) && value >= limits.min && value <= limits.max)) {
      add(field, `${what} must be ${limits.min} to ${limits.max} seconds, got ${value}`);
    }
  };
  seconds('timeoutSeconds', 'the timeout of one attempt', timeoutSeconds);
  seconds('intervalSeconds', 'the wait between attempts', intervalSeconds);
  if (!(Number.isInteger(check.retries) && check.retries >= retries.min && check.retries <= retries.max)) {
    add('retries', `must be a whole number from ${retries.min} to ${retries.max}, got ${check.retries}`);
  }
  return issues;
}

/**
 * Why `value` is not a URL the health check can call: http(s), parseable, no credentials.
 * The builder applies it to a URL read from a stack output too.
 */
export function httpUrlProblem(value: string): string | undefined {
  const shown = `'${names.printable(value, 120)}'`;
  if (value.length > MAX_URL) return `must be at most ${MAX_URL} characters`;
  if (/[\s\x00-\x1f\x7f]/.test(value)) return `${shown} must not contain spaces or control characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${shown} is not a URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${shown} must be an http:// or https:// URL`;
  if (url.hostname === '') return `${shown} has no host`;
  // The URL is written into the template and printed in the log.
  if (url.username !== '' || url.password !== '') return 'must not contain a user name or password';
  return undefined;
}

const MAX_ARTIFACT_PATHS = 20;

/**
 * Artifact paths are unpacked into the build's workspace: relative, inside it, never a
 * `node_modules` (the deploy from an artifact has none on purpose) and only with a deploy command
 * of the environment's own (a framework's default deploy stores its own artifact).
 */
export function artifactPathsProblem(paths: readonly string[], hasDeployCommand: boolean): string | undefined {
  if (!hasDeployCommand) return 'artifact paths need a configured deploy command (they are what that command deploys)';
  if (paths.length === 0) return 'must name at least one path (or leave artifact out)';
  if (paths.length > MAX_ARTIFACT_PATHS) return `at most ${MAX_ARTIFACT_PATHS} paths`;
  for (const path of paths) {
    const problem = artifactPathProblem(path);
    if (problem) return problem;
  }
  return undefined;
}

/** One artifact path: the rule for configured paths and for the paths a stored artifact's manifest lists. */
export function artifactPathProblem(path: string): string | undefined {
  const shown = names.printable(path, 60);
  if (path === '' || path.length > 200) return `'${shown}' must be 1 to 200 characters`;
  if (names.hasLoneSurrogate(path) || /[\u0000-\u001f\u007f\\]/.test(path)) return `'${shown}' has control characters or backslashes`;
  if (path.startsWith('/') || path.startsWith('-')) return `'${shown}' must be relative to the repository (no leading / or -)`;
  const segments = path.split('/').filter(segment => segment !== '' && segment !== '.');
  if (segments.length === 0) return `'${shown}' names the whole repository: list what the deploy needs`;
  if (segments.includes('..')) return `'${shown}' leaves the repository (..)`;
  if (segments.includes('node_modules')) return `'${shown}': node_modules is never stored (a deploy from an artifact runs without it)`;
  if (segments[0] === '.git') return `'${shown}': the git directory is not an artifact`;
  return undefined;
}
