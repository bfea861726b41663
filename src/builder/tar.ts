import { spawn } from 'child_process';
import { closeSync, openSync, readSync } from 'fs';
import { AppUser } from './app-user';

/**
 * tar with the archive on its stdin (extract) or stdout (create), the file opened by the builder.
 * Run as the app's user, tar reads and writes the workspace with the app's rights only: a
 * hostile archive can place no root-owned or setuid file and write nowhere the app could not,
 * and tar needs no access to the builder's private directory that holds the archive.
 */

/**
 * Unpack `archive` (`args` say where: `-C dir`, excludes, members), gzipped or not: tar cannot
 * tell from a stream, so the first two bytes decide, as tar itself would for a named file.
 */
export async function extractArchive(archive: string, args: readonly string[], user?: AppUser): Promise<void> {
  const input = openSync(archive, 'r');
  try {
    const magic = Buffer.alloc(2);
    const gzip = readSync(input, magic, 0, 2, 0) === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
    await runTar([gzip ? '-xzf' : '-xf', '-', ...args], input, undefined, user);
  } finally {
    closeSync(input);
  }
}

/** Write a new `archive` (mode 0600, the builder's) of what `args` name (`-C dir paths...`). */
export async function createArchive(archive: string, gzip: boolean, args: readonly string[], user?: AppUser): Promise<void> {
  const output = openSync(archive, 'w', 0o600);
  try {
    await runTar([gzip ? '-czf' : '-cf', '-', ...args], undefined, output, user);
  } finally {
    closeSync(output);
  }
}

const MAX_STDERR = 64 * 1024;

function runTar(args: readonly string[], input: number | undefined, output: number | undefined, user?: AppUser): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', args, {
      shell: false,
      cwd: '/',
      // Only PATH (tar finds gzip there): none of the builder's variables in a process the app's uid could inspect.
      env: { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin' },
      stdio: [input ?? 'ignore', output ?? 'ignore', 'pipe'],
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => { if (stderr.length < MAX_STDERR) stderr += chunk; });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const said = stderr.split('\n').find(line => line.trim() !== '');
      reject(new Error(`tar ${signal ? `was killed by ${signal}` : `exited with code ${code}`}${said ? `: ${said}` : ''}`));
    });
  });
}
