import { EXIT, ExitCode } from './exit-codes';
import { terminalText } from './log-lines';
import { duration } from '../dashboard/format';
import { Deployment } from '../runtime/core/types';

/**
 * How a command that followed a deployment ends: 0 when it succeeded, 1 otherwise (failed,
 * cancelled, superseded), with one line that says so and why.
 */
export function outcomeExitCode(deployment: Deployment): ExitCode {
  return deployment.status === 'succeeded' ? EXIT.ok : EXIT.failed;
}

/** `sample-app/dev deploy 1a2b3c4 succeeded in 12.3 s`, `… failed: the tests failed`. */
export function outcomeLine(deployment: Deployment): string {
  const what = `${deployment.application}/${deployment.environment} ${deployment.action} ${deployment.commit.slice(0, 7)} ${deployment.status}`;
  const took = deployment.startedAt && deployment.finishedAt ? ` in ${duration(Date.parse(deployment.finishedAt) - Date.parse(deployment.startedAt))}` : '';
  const why = deployment.status !== 'succeeded' && deployment.reason ? `: ${terminalText(deployment.reason.replace(/\s+/g, ' '), { colour: false })}` : '';
  return `${what}${took}${why}`;
}
