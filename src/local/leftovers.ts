import { readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { basename, dirname, resolve } from 'path';
import { DataDir } from './data-dir';
import { ProcessRecord, isRecordedProcess, stopRecorded } from './process-records';

/**
 * Before starting from `data`: refuse when a run still uses it (two servers on one DynamoDB
 * Local database would corrupt each other's view), and stop what a run that was killed left
 * behind: every process it recorded when it started it (DynamoDB Local's Java process, each
 * build's whole process group), then the builds' workspaces. Returns what was stopped.
 */
export async function clearLeftovers(data: DataDir): Promise<string[]> {
  const run = data.runRecord();
  const previous = data.previousServer();
  if (run && isRecordedProcess(run)) {
    const url = previous?.pid === run.pid ? `, ${previous.url}` : ', starting';
    throw new Error(`trellis local is already running from ${data.root} (pid ${run.pid}${url}): stop it first, or pass another --data-dir`);
  }
  if (!run && previous && alive(previous.pid) && commandLine(previous.pid)?.includes('trellis')) {
    // server.json of a version that kept no run record.
    throw new Error(`trellis local is already running from ${data.root} (pid ${previous.pid}, ${previous.url}): stop it first, or pass another --data-dir`);
  }
  const stopped: string[] = [];
  const records = data.processes;
  for (const { name, record } of records.list()) {
    if (await stopRecorded(record)) stopped.push(describe(record));
    if (record.workspace && isBuildWorkspace(record.workspace)) rmSync(record.workspace, { recursive: true, force: true });
    records.remove(name);
  }
  // A run of a version that kept no process records: its DynamoDB Local from server.json, when provably that.
  const java = previous?.dynamodbPid;
  const command = java !== undefined && alive(java) ? commandLine(java) : undefined;
  if (java !== undefined && command?.includes('DynamoDBLocal') && command.includes(data.dynamodb)) {
    process.kill(java, 'SIGTERM');
    stopped.push(`DynamoDB Local (pid ${java}) left by a run that was killed`);
  }
  data.removeServerInfo();
  data.removeRunRecord();
  return stopped;
}

function describe(record: ProcessRecord): string {
  return record.kind === 'dynamodb'
    ? `DynamoDB Local (pid ${record.pid}) left by a run that was killed`
    : `the build of ${record.deploymentId ?? 'a deployment'} (process group ${record.pgid ?? record.pid}) left by a run that was killed`;
}

/** Only a folder the runner makes (`<tmp>/trellis-build-*`) is removed on a record's word. */
function isBuildWorkspace(path: string): boolean {
  const full = resolve(path);
  return dirname(full) === resolve(tmpdir()) && basename(full).startsWith('trellis-build-');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process's command line (Linux /proc); undefined where it cannot be read, so nothing is stopped on a guess. */
function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\u0000').join(' ');
  } catch {
    return undefined;
  }
}
