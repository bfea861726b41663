import { ApiUnreachableError } from './api-client';
import { CliError, EXIT, ExitCode } from './exit-codes';
import { oneLine } from './log-lines';
import { duration } from '../runtime/core/durations';
import { Deployment } from '../runtime/core/types';

/**
 * How a command that followed a deployment ends: 0 when it succeeded, 1 otherwise (failed,
 * cancelled, superseded), with one line that says so and why.
 */
export function outcomeExitCode(deployment: Deployment): ExitCode {
  return deployment.status === 'succeeded' ? EXIT.ok : EXIT.failed;
}

/** `sample-app/dev deploy 1a2b3c4`: which deployment, as the lines about it start (cleaned: the server's text). */
export function deploymentLabel(deployment: Deployment): string {
  return oneLine(`${deployment.application}/${deployment.environment} ${deployment.action} ${deployment.commit.slice(0, 7)}`);
}

/** `sample-app/dev deploy 1a2b3c4 succeeded in 12.3 s`, `… failed: the tests failed`. */
export function outcomeLine(deployment: Deployment): string {
  const took = deployment.startedAt && deployment.finishedAt ? ` in ${duration(Date.parse(deployment.finishedAt) - Date.parse(deployment.startedAt))}` : '';
  const why = deployment.status !== 'succeeded' && deployment.reason ? `: ${oneLine(deployment.reason)}` : '';
  return `${deploymentLabel(deployment)} ${oneLine(deployment.status)}${took}${why}`;
}

/**
 * Following a deployment ended because the API stopped answering: the deployment goes on (or
 * ended) without us knowing, so say how to look later rather than a bare network error.
 */
export function followingLost(error: unknown, id: string, where?: Pick<Deployment, 'application' | 'environment'>): unknown {
  if (!(error instanceof ApiUnreachableError)) return error;
  const history = where ? ` or \`trellis history ${oneLine(where.application)} ${oneLine(where.environment)}\`` : '';
  return new CliError(`${error.message}\nGave up following ${id}: its outcome is unknown. Look later with \`trellis logs ${id}\`${history}.`);
}
