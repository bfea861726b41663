import { usageError } from './exit-codes';
import { isDeploymentId } from '../runtime/core/deployment-ids';
import { applicationName, branchName, environmentName, printable } from '../runtime/core/names';

/**
 * The command line's names checked before any call, with core's rules (the API's own): a bad
 * one is a usage error (exit 2) that echoes what was typed, as typed, and the rule. The API
 * would refuse them too, but later, in its own words ('..%2Fshop', 'HTTP 431'), and '.' or
 * '..' would not even reach the route they seem to name.
 */

/** An application's name (`label`: how the message names it, e.g. `--app`). */
export function checkApp(value: string, label = 'application'): string {
  const problem = applicationName(value);
  if (problem) throw usageError(`${label} ${problem}`);
  return value;
}

export function checkEnv(value: string, label = 'environment'): string {
  const problem = environmentName(value);
  if (problem) throw usageError(`${label} ${problem}`);
  return value;
}

/** An example id, as `trellis history` lists them. */
export const EXAMPLE_DEPLOYMENT_ID = '20261206T040034566Z-3b6eb038';

export function checkDeploymentId(value: string, label = 'deployment'): string {
  if (!isDeploymentId(value)) throw usageError(`${label} '${printable(value)}' is not a deployment id: one looks like ${EXAMPLE_DEPLOYMENT_ID} (trellis history lists them)`);
  return value;
}

export function checkBranch(value: string): string {
  const problem = branchName(value);
  if (problem) throw usageError(`--branch: ${problem}`);
  return value;
}
