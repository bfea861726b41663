import { existsSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { basename, dirname, join } from 'path';
import { TrellisProcess, descendantsOf } from './trellis-process';
import { signalGroup, signalIfRunning } from '../../../src/local/process-group';
import { eventually } from '../../support/eventually';
import { processAlive } from '../local-fixtures';

/**
 * What the end-to-end tests of `trellis local` leave behind, found and removed: the servers,
 * their builds (only processes seen as theirs, with the same command line), the workspaces.
 */

/** A process's command line (from /proc), or undefined when it is gone. */
export function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return undefined;
  }
}

/** Note every descendant's command line (for cleanUp), and return the live ones. */
export function noteDescendants(trellis: TrellisProcess, commands: Map<number, string>): number[] {
  const pids = trellis.recordDescendants();
  for (const pid of pids) {
    if (commands.has(pid)) continue;
    const line = cmdline(pid);
    if (line) commands.set(pid, line);
  }
  return pids;
}

/** The build workspaces a server log names (`build started` entries), within the temp directory only. */
export function workspacesIn(serverLog: string): string[] {
  if (!existsSync(serverLog)) return [];
  return readFileSync(serverLog, 'utf8').split('\n').flatMap(entry => {
    try {
      const { message, workspace } = JSON.parse(entry);
      return message === 'build started' && typeof workspace === 'string' && dirname(workspace) === tmpdir() && basename(workspace).startsWith('trellis-build-') ? [workspace] : [];
    } catch {
      return [];
    }
  });
}

/**
 * After a test file: SIGKILL the servers still running and every process of theirs still alive
 * (only those seen as descendants with the same command line: a reused pid is not ours), then
 * remove the build workspaces their logs name and `paths` (an undefined one: a directory never made).
 */
export async function cleanUp(started: TrellisProcess[], commands: Map<number, string>, paths: Array<string | undefined>): Promise<void> {
  for (const proc of started) {
    const live = proc.child.exitCode === null && proc.child.signalCode === null;
    const children = live ? descendantsOf(proc.child.pid!) : [];
    if (live) proc.child.kill('SIGKILL');
    for (const pid of new Set([...children, ...proc.seen])) {
      if (!processAlive(pid)) continue;
      const known = commands.get(pid);
      if (!children.includes(pid) && (known === undefined || cmdline(pid) !== known)) continue;
      signalGroup(pid, 'SIGKILL'); // when it leads one
      signalIfRunning(pid, 'SIGKILL');
    }
  }
  const ours = started.flatMap(proc => [...proc.seen]);
  await eventually('the killed processes to end', async () => ours.every(pid => !processAlive(pid)), 10_000).catch(() => undefined);
  for (const proc of started) {
    for (const workspace of workspacesIn(join(proc.dataDir, 'server.log'))) rmSync(workspace, { recursive: true, force: true });
  }
  for (const path of paths) if (path) rmSync(path, { recursive: true, force: true });
}
