import { lstatSync, readdirSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
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
  removeCloudAssemblies(Number(process.env.TRELLIS_JEST_STARTED));
  const runId = process.env.TRELLIS_JEST_RUN;
  if (!runId || process.platform !== 'linux') return;
  // esbuild's service processes (one per transform/bundle) are idle helpers: killed, not reported.
  const left = killRunProcesses('TRELLIS_JEST_RUN', runId).filter(entry => !/\/esbuild --service=/.test(entry.command));
  if (left.length > 0) {
    process.stderr.write(`\njest global teardown: ${left.length} process(es) started by the tests were still running; killed:\n${describe(left)}\n`);
  }
}

/**
 * The cloud assemblies CDK synthesized during the run: an App without `outdir` writes one into a
 * new os.tmpdir()/cdk.outXXXXXX each time (about 28 MB with the builder's assets; one run of the
 * suite leaves gigabytes). Only those made since the run started.
 */
function removeCloudAssemblies(startedAt: number): void {
  if (!Number.isFinite(startedAt)) return;
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith('cdk.out')) continue;
    const path = join(tmpdir(), name);
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (stat?.isDirectory() && stat.mtimeMs >= startedAt - 1000) rmSync(path, { recursive: true, force: true });
  }
}
