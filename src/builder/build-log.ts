import { LiveLogSender, SendLiveBatch } from './live-log';
import { LogRecorder, UNKNOWN_DEPLOYMENT, logDeploymentId } from './log-recorder';
import { ParameterEnv } from './params';
import { BUILD_INGEST_TOKEN, BUILD_SETTINGS } from '../contract/build-environment';
import { BUILDER_EXIT } from '../runtime/core/builder-exit';
import { maskCredentials } from '../runtime/core/credential-patterns';
import { errorMessage } from '../runtime/core/errors';
import { Clock } from '../runtime/core/ports';

/** How long the builder waits for the live path before it exits. */
export const LIVE_CLOSE_TIMEOUT_MS = 3000;

export interface BuildLogOptions {
  /** Where each JSON line goes: stdout in the container. */
  readonly sink: (line: string) => void;
  readonly clock: Clock;
  /** The live path's sender for the configured ingest function (Lambda Invoke in the container). */
  readonly sendTo: (functionName: string) => SendLiveBatch;
}

/** The build's log: the recorder every line goes through, and what to do before exiting. */
export interface BuildLog {
  readonly output: LogRecorder;
  /** Send what the live path still holds (waiting at most `timeoutMs`); note on the log what it missed. */
  finish(timeoutMs?: number): Promise<void>;
}

/**
 * Records for the deployment in the build parameters ('unknown' before they are known to be
 * valid), on the archive path always and on the live path when the task definition names
 * an ingest function, the deployment id is valid and the launcher gave the ingest token.
 */
export function openBuildLog(env: ParameterEnv, options: BuildLogOptions): BuildLog {
  const deploymentId = logDeploymentId(env);
  const functionName = env[BUILD_SETTINGS.logIngestFunction];
  const ingestToken = env[BUILD_INGEST_TOKEN];
  const live = functionName && ingestToken && deploymentId !== UNKNOWN_DEPLOYMENT
    ? new LiveLogSender({ deploymentId, ingestToken, send: options.sendTo(functionName) })
    : undefined;
  const output = new LogRecorder(deploymentId, options.sink, options.clock, live);
  return {
    output,
    finish: async (timeoutMs = LIVE_CLOSE_TIMEOUT_MS) => {
      if (!live) return;
      const stats = await live.close(timeoutMs);
      const missed = stats.failedRecords + stats.droppedRecords + stats.unconfirmedRecords;
      if (missed === 0) return;
      const reasons = [
        stats.failedBatches > 0 && `${stats.failedBatches} ${stats.failedBatches === 1 ? 'send' : 'sends'} failed, first: ${maskCredentials((stats.firstError ?? '').replace(/\s+/g, ' ').slice(0, 300))}`,
        stats.unconfirmedRecords > 0 && 'the last send was unanswered at exit',
        stats.droppedRecords > 0 && `${stats.droppedRecords} not sent in time`,
      ].filter(Boolean);
      // After close this line goes to the archive only, like the records it counts.
      output.write(`warning: ${missed} of ${output.count} log lines were not sent live (${reasons.join('; ')}); the log is complete once the archive has them`, 'stderr');
    },
  };
}

/**
 * The end of a builder program (the container's and local mode's): run `main`, record a crash,
 * send what the live path holds, wait until stdout is written, exit with the code.
 */
export function runToExit(log: BuildLog, main: () => Promise<number>): void {
  const exit = async (code: number): Promise<never> => {
    await log.finish();
    // stdout is a pipe: writes still queued when process.exit runs would be lost from the log.
    await new Promise<void>(resolve => process.stdout.write('', () => resolve()));
    process.exit(code);
  };
  main().then(exit, error => {
    log.output.write(maskCredentials(`error: the builder crashed: ${errorMessage(error).replace(/\s+/g, ' ')}`), 'stderr');
    return exit(BUILDER_EXIT.failed);
  });
}
