import { readFileSync } from 'fs';
import { dirname, isAbsolute, resolve } from 'path';
import { fileURLToPath } from 'url';
import { localGitHubRoles } from './local-github-sign-in';
import { APPLICATION_KEYS } from '../runtime/core/config-keys';
import { parseApplications } from '../runtime/core/config-parse';
import { DEFAULT_ENVIRONMENT_KINDS, STANDARD_KINDS, standardKindDefaults } from '../runtime/core/environment-kinds';
import { ValidationError, ValidationIssue } from '../runtime/core/errors';
import { GitHubRoleMapping } from '../runtime/core/github-role-mapping';
import { LOCAL_OWNER, hasLoneSurrogate, repository as repositoryRule } from '../runtime/core/names';
import { isPlainObject } from '../runtime/core/plain-object';
import { ApplicationConfig } from '../runtime/core/types';
import { unknownKeyIssues } from '../runtime/core/unknown-keys';

/** What local mode runs: the applications (as the construct would write them) and where each one's git repository is. */
export interface LocalConfig {
  readonly applications: readonly ApplicationConfig[];
  /** Application → absolute path of its local git repository. */
  readonly repositories: Readonly<Record<string, string>>;
  /** Sign in with GitHub's role mapping (`github.roles`). @default DEFAULT_LOCAL_GITHUB_ROLES */
  readonly githubRoles?: readonly GitHubRoleMapping[];
}

/**
 * Read a local config file: `{ "applications": [...] }` in the shape of the construct's
 * `applications` prop as JSON (test commands and framework commands as argument vectors).
 * Local additions: `repository` may be a path or file:// URL (the app is then `local/<name>`),
 * or `owner/repo` with `source` naming the local clone; relative paths are taken from the
 * file's folder; `{configDir}`, `{dataDir}` and `{serverUrl}` in variable values and in a
 * health check's `url` are replaced. `github: { roles: [...] }` maps the GitHub stand-in's
 * organizations and teams to roles for sign in with GitHub (local-github-sign-in.ts).
 */
export function loadLocalConfig(file: string, dataDir: string, serverUrl?: string): LocalConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the config file ${file}: ${(error as Error).message}`);
  }
  return parseLocalConfig(raw, { configDir: dirname(resolve(file)), dataDir, serverUrl });
}

/** What the placeholders stand for. `serverUrl` is the local server's (`http://127.0.0.1:4100`); unknown = left as written. */
export interface Placeholders {
  readonly configDir: string;
  readonly dataDir: string;
  readonly serverUrl?: string;
}

/** The file's own keys; an application adds `source` to the construct's. Any other key is refused, with the closest as a suggestion. */
const FILE_KEYS: readonly string[] = ['applications', 'github'];
const LOCAL_APPLICATION_KEYS: readonly string[] = [...APPLICATION_KEYS, 'source'];

export function parseLocalConfig(raw: unknown, dirs: Placeholders): LocalConfig {
  // Unknown keys are named with the other issues (collected here): a typo never falls back to a default.
  const unknownKeys = isPlainObject(raw) ? unknownKeyIssues(raw, FILE_KEYS, '') : [];
  const applications = isPlainObject(raw) ? raw.applications : undefined;
  if (!Array.isArray(applications)) throw new ValidationError([...unknownKeys, { path: 'applications', message: 'must be a list of applications' }]);
  const issues: ValidationIssue[] = [];
  const repositories: Record<string, string> = {};
  const normalized = applications.map((app: unknown, index) => {
    const path = `applications[${index}]`;
    if (!isPlainObject(app)) return app;
    unknownKeys.push(...unknownKeyIssues(app, LOCAL_APPLICATION_KEYS, path));
    const found = locate(app, path, dirs.configDir, issues);
    if (found && typeof app.name === 'string') repositories[app.name] = found.location;
    // The construct's keys only (`source` is local mode's; unknown keys are named above).
    const given = Object.fromEntries(Object.entries(app).filter(([key]) => (APPLICATION_KEYS as readonly string[]).includes(key)));
    return {
      ...given,
      repository: found?.repository ?? app.repository,
      environments: Array.isArray(app.environments)
        ? app.environments.map(env => withKindDefaults(env, dirs))
        : app.environments ?? DEFAULT_ENVIRONMENT_KINDS.map(kind => ({ kind, ...STANDARD_KINDS[kind] })),
    };
  });
  if (issues.length > 0) throw new ValidationError([...unknownKeys, ...issues]);
  let parsed: ApplicationConfig[] = [];
  try {
    parsed = parseApplications(normalized);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    issues.push(...error.issues);
  }
  const githubRoles = isPlainObject(raw) ? localGitHubRoles(raw.github, issues) : undefined;
  // Local mode has no SNS: a topic there would only collect failed deliveries.
  parsed.forEach((app, index) => app.notifications?.forEach((destination, at) => {
    if (destination.kind === 'sns') issues.push({ path: `applications[${index}].notifications[${at}].kind`, message: 'local mode has no SNS: use a webhook or slack destination here' });
  }));
  if (unknownKeys.length > 0 || issues.length > 0) throw new ValidationError([...unknownKeys, ...issues]);
  return { applications: parsed, repositories, ...githubRoles && { githubRoles } };
}

/** Where the app's commits come from, and the `owner/repo` name pushes carry. */
function locate(app: Record<string, unknown>, path: string, configDir: string, issues: ValidationIssue[]) {
  const { repository, source, name } = app;
  if (typeof repository !== 'string') return undefined; // parseApplications names it
  if (source !== undefined) {
    if (typeof source !== 'string' || source === '') {
      issues.push({ path: `${path}.source`, message: 'must be the path or file:// URL of a local git repository' });
      return undefined;
    }
    return located(repository, source, `${path}.source`, configDir, issues);
  }
  if (repositoryRule(repository) === undefined && !repository.startsWith('.')) {
    issues.push({ path: `${path}.repository`, message: `local mode clones from this machine: make '${repository}' a path or file:// URL, or add "source" with the path of a clone` });
    return undefined;
  }
  return located(`${LOCAL_OWNER}/${typeof name === 'string' ? name : 'app'}`, repository, `${path}.repository`, configDir, issues);
}

/** Any path of this machine is the user's to choose; one git or the builder cannot use is named here, not at the first build. */
function located(repository: string, location: string, path: string, configDir: string, issues: ValidationIssue[]) {
  const problem = locationProblem(location);
  if (problem) {
    issues.push({ path, message: `must be the path or file:// URL of a local git repository: it ${problem}` });
    return undefined;
  }
  try {
    return { repository, location: absolute(location, configDir) };
  } catch (error) {
    issues.push({ path, message: `is not a usable file:// URL: ${(error as Error).message}` });
    return undefined;
  }
}

const MAX_PATH = 4096;

function locationProblem(location: string): string | undefined {
  if (location.trim() === '') return 'is empty';
  if (location.length > MAX_PATH) return `is longer than ${MAX_PATH} characters`;
  if (/[\x00-\x1f\x7f]/.test(location)) return 'contains a control character';
  if (hasLoneSurrogate(location)) return 'is not valid Unicode text';
  return undefined;
}

/** fileURLToPath throws for a URL with a host or an encoded '/': the caller reports it. */
function absolute(location: string, configDir: string): string {
  if (location.startsWith('file://')) return fileURLToPath(location);
  return isAbsolute(location) ? location : resolve(configDir, location);
}

/** The kind's default name and branch (core/environment-kinds.ts, as the construct's factories), and the placeholders in variables and the health check's URL. */
function withKindDefaults(env: unknown, dirs: Placeholders): unknown {
  if (typeof env !== 'object' || env === null) return env;
  const given = env as Record<string, unknown>;
  const defaults = standardKindDefaults(given.kind);
  const variables = isPlainObject(given.variables)
    ? Object.fromEntries(Object.entries(given.variables).map(([name, value]) => [name, replacePlaceholders(value, dirs)]))
    : given.variables;
  const check = given.healthCheck;
  const healthCheck = isPlainObject(check) && 'url' in check
    ? { ...check, url: replacePlaceholders(check.url, dirs) }
    : check;
  return {
    ...given,
    name: given.name ?? defaults?.name,
    branch: given.branch ?? defaults?.branch,
    variables,
    ...(check === undefined ? {} : { healthCheck }),
  };
}

function replacePlaceholders(value: unknown, dirs: Placeholders): unknown {
  if (typeof value !== 'string') return value;
  const replaced = value.split('{configDir}').join(dirs.configDir).split('{dataDir}').join(dirs.dataDir);
  return dirs.serverUrl === undefined ? replaced : replaced.split('{serverUrl}').join(dirs.serverUrl);
}
