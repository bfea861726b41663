import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';
import { buildSync, stop as stopEsbuild } from 'esbuild';

export { gitRepo } from '../support/git-repo';

/**
 * Whether a process exists: `kill(pid, 0)` throws ESRCH once it is gone. An orphan that
 * ended but was not reaped yet (a container's PID 1 may be slow to) counts as gone.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return true; // no /proc (macOS): kill(pid, 0) is the answer
  }
}

/** The local builder entry bundled the way the production bundle is (esbuild, node, one file). */
export function bundleLocalBuilder(outfile: string): string {
  buildSync({
    entryPoints: [join(__dirname, '..', '..', 'src', 'local', 'local-builder-entry.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    outfile,
    logLevel: 'warning',
  });
  void stopEsbuild(); // buildSync keeps a service process for a next build that may never come
  return outfile;
}

/** The launcher that keeps DynamoDB Local on 127.0.0.1, compiled the way bundle:local-cli does into assets/local/dynamodb. */
export function compileDynamoDbLauncher(outDir: string): string {
  execFileSync('javac', ['--release', '17', '-d', outDir, join(__dirname, '..', '..', 'src', 'local', 'java', 'TrellisDynamoDbLocal.java')], { stdio: 'pipe' });
  return outDir;
}
