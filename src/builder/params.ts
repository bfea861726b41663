import { BUILD_PARAMETERS, BUILD_SETTINGS } from '../contract/build-environment';
import { isDeploymentId } from '../runtime/core/deployment-ids';
import * as names from '../runtime/core/names';
import { Deployment, DeploymentAction } from '../runtime/core/types';

/** The process environment the builder reads its parameters from. */
export type ParameterEnv = Readonly<Record<string, string | undefined>>;

/**
 * What the builder takes from its environment before it reads anything: which deployment to
 * build (the launcher's one parameter) and the task definition's settings it needs to reach it.
 */
export interface BuildSettings {
  readonly deploymentId: string;
  readonly installation: string;
  /** Local mode and tests: clone from this path or URL instead of GitHub. */
  readonly gitUrl?: string;
  /** A GitHub Enterprise Server's web URL (https): repositories are cloned from there. @default https://github.com */
  readonly githubWebUrl?: string;
}

/** One build, as its deployment record asks for it; every field has been validated. */
export interface BuildRequest extends BuildSettings {
  readonly action: DeploymentAction;
  readonly application: string;
  readonly environment: string;
  readonly commit: string;
  /** The environment's name: a stage is an environment (STAGE, `--stage`, the CDK stacks chosen). */
  readonly stage: string;
}

export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problems: readonly string[] };

const ACTIONS: readonly DeploymentAction[] = ['deploy', 'promote', 'rollback', 'teardown'];
const COMMIT = /^[0-9a-f]{40}$/;
// A local path, a file:// or https:// URL, or http:// on this machine (local mode's GitHub stand-in);
// never an option (-...) or another git transport (ext::).
const GIT_URL = /^(?:\/|file:\/\/|https:\/\/|http:\/\/127\.0\.0\.1(?::\d{1,5})?\/)[^\x00-\x20\x7f]*$/;
/** A host (and port) only: the repository's path is appended. */
const GITHUB_WEB_URL = /^https:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?\/?$/;

/** Read and validate the builder's own settings; any problem means nothing may run (the record is not read). */
export function readBuildSettings(env: ParameterEnv): Checked<BuildSettings> {
  const problems: string[] = [];
  const check = checker(problems);
  const deploymentId = check(BUILD_PARAMETERS.deploymentId, env[BUILD_PARAMETERS.deploymentId], value =>
    isDeploymentId(value) ? undefined : `'${names.printable(value)}' is not a deployment id`);
  const installation = check(BUILD_SETTINGS.installation, env[BUILD_SETTINGS.installation], names.installationName);
  const gitUrl = env[BUILD_SETTINGS.gitUrl] || undefined;
  if (gitUrl !== undefined && !GIT_URL.test(gitUrl)) {
    problems.push(`${BUILD_SETTINGS.gitUrl}: '${names.printable(gitUrl)}' must be an absolute path, a file:// URL, an https:// URL or an http:// URL of 127.0.0.1`);
  }
  const githubWebUrl = env[BUILD_SETTINGS.githubWebUrl] || undefined;
  if (githubWebUrl !== undefined && !GITHUB_WEB_URL.test(githubWebUrl)) {
    problems.push(`${BUILD_SETTINGS.githubWebUrl}: '${names.printable(githubWebUrl)}' must be an https:// URL without a path, query or credentials`);
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: { deploymentId, installation, gitUrl, ...githubWebUrl && { githubWebUrl } } };
}

/**
 * The build the deployment record asks for. The record is the only source of what is built and
 * where: the launcher chose the task's role from it, and its fields are checked like any input
 * (a stored record is data, not trusted), so a bad one runs nothing.
 */
export function requestFromRecord(settings: BuildSettings, deployment: Deployment): Checked<BuildRequest> {
  const problems: string[] = [];
  const check = checker(problems);
  const action = check('action', deployment.action, value =>
    (ACTIONS as readonly string[]).includes(value) ? undefined : `'${names.printable(value)}' is not one of ${ACTIONS.join(', ')}`);
  const application = check('application', deployment.application, names.applicationName);
  const environment = check('environment', deployment.environment, names.environmentName);
  const commit = check('commit', deployment.commit, value =>
    COMMIT.test(value) ? undefined : `'${names.printable(value)}' is not a full 40-character lowercase commit sha`);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: { ...settings, action: action as DeploymentAction, application, environment, commit, stage: environment } };
}

/** Checks one value with its rule; each problem names the value (the variable or the record's field). */
function checker(problems: string[]) {
  return (label: string, value: unknown, rule: (value: string) => string | undefined): string => {
    if (value === undefined || value === null || value === '') {
      problems.push(`${label} is not set`);
      return '';
    }
    if (typeof value !== 'string') {
      problems.push(`${label} is not a string`);
      return '';
    }
    const problem = rule(value);
    if (problem) problems.push(`${label}: ${problem}`);
    return value;
  };
}
