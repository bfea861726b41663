import { BUILD_PARAMETERS, BUILD_SETTINGS } from '../contract/build-environment';
import { isDeploymentId } from '../runtime/core/deployment-ids';
import * as names from '../runtime/core/names';
import { DeploymentAction } from '../runtime/core/types';

/** The process environment the builder reads its parameters from. */
export type ParameterEnv = Readonly<Record<string, string | undefined>>;

/** One build, as the launcher asked for it; every field has been validated. */
export interface BuildRequest {
  readonly deploymentId: string;
  readonly action: DeploymentAction;
  readonly application: string;
  readonly environment: string;
  readonly commit: string;
  readonly stage: string;
  readonly installation: string;
  /** Local mode and tests: clone from this path or URL instead of GitHub. */
  readonly gitUrl?: string;
}

export type ReadResult =
  | { readonly ok: true; readonly request: BuildRequest }
  | { readonly ok: false; readonly problems: readonly string[] };

const ACTIONS: readonly DeploymentAction[] = ['deploy', 'promote', 'rollback', 'teardown'];
const COMMIT = /^[0-9a-f]{40}$/;
// A local path or a file:// or https:// URL; never an option (-...) or another git transport (ext::).
const GIT_URL = /^(?:\/|file:\/\/|https:\/\/)[^\x00-\x20\x7f]*$/;

/** Read and validate the build parameters; any problem means nothing may run. */
export function readBuildRequest(env: ParameterEnv): ReadResult {
  const problems: string[] = [];
  const read = (name: string, rule: (value: string) => string | undefined): string => {
    const value = env[name];
    if (value === undefined || value === '') {
      problems.push(`${name} is not set`);
      return '';
    }
    const problem = rule(value);
    if (problem) problems.push(`${name}: ${problem}`);
    return value;
  };

  const deploymentId = read(BUILD_PARAMETERS.deploymentId, value =>
    isDeploymentId(value) ? undefined : `'${names.printable(value)}' is not a deployment id`);
  const action = read(BUILD_PARAMETERS.action, value =>
    (ACTIONS as readonly string[]).includes(value) ? undefined : `'${names.printable(value)}' is not one of ${ACTIONS.join(', ')}`);
  const application = read(BUILD_PARAMETERS.application, names.applicationName);
  const environment = read(BUILD_PARAMETERS.environment, names.environmentName);
  const commit = read(BUILD_PARAMETERS.commit, value =>
    COMMIT.test(value) ? undefined : `'${names.printable(value)}' is not a full 40-character lowercase commit sha`);
  const stage = read(BUILD_PARAMETERS.stage, names.environmentName);
  const installation = read(BUILD_SETTINGS.installation, names.installationName);
  const gitUrl = env[BUILD_SETTINGS.gitUrl] || undefined;
  if (gitUrl !== undefined && !GIT_URL.test(gitUrl)) {
    problems.push(`${BUILD_SETTINGS.gitUrl}: '${names.printable(gitUrl)}' must be an absolute path, a file:// URL or an https:// URL`);
  }

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    request: { deploymentId, action: action as DeploymentAction, application, environment, commit, stage, installation, gitUrl },
  };
}
