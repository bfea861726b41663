import type { DynamoDbLocal } from '../../src/local/dynamodb-local';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { killRunProcesses, describe } = require('./run-processes') as {
  killRunProcesses(name: string, value: string): Array<{ pid: number; command: string }>;
  describe(processes: Array<{ pid: number; command: string }>): string;
};

/**
 * After the last test file: stop the run's DynamoDB Local, then SIGKILL whatever the tests
 * left running (every process carrying this run's TRELLIS_JEST_RUN marker, their descendants
 * and process groups) and name it. A test file that failed half-way may leave a `trellis local`,
 * its DynamoDB Local or a build behind; their open pipes would keep jest from exiting.
 */
export default async function teardown(): Promise<void> {
  await (globalThis as { trellisDynamoDbLocal?: DynamoDbLocal }).trellisDynamoDbLocal?.stop();
  const runId = process.env.TRELLIS_JEST_RUN;
  if (!runId || process.platform !== 'linux') return;
  // esbuild's service processes (one per transform/bundle) are idle helpers: killed, not reported.
  const left = killRunProcesses('TRELLIS_JEST_RUN', runId).filter(entry => !/\/esbuild --service=/.test(entry.command));
  if (left.length > 0) {
    process.stderr.write(`\njest global teardown: ${left.length} process(es) started by the tests were still running; killed:\n${describe(left)}\n`);
  }
}
