import { Dirent, closeSync, constants, fstatSync, lstatSync, openSync, readSync, readdirSync, readlinkSync, realpathSync, rmSync, statSync, Stats } from 'fs';
import { basename, dirname, isAbsolute, join, normalize, sep } from 'path';

/**
 * Every read, listing and removal the builder does in the app's workspace after app code may
 * have run there (clone, install scripts, build, deploy). The builder is root and the workspace
 * is the app's: a link the app planted at a path the builder reads (or at a directory above
 * it) would make root read a file only root may read into the log, or remove a file outside
 * the workspace; a FIFO or device would hang it or fill its memory. So here:
 *
 * - the final component is opened with O_NOFOLLOW (a link there is refused, wherever it points),
 *   and the real path of its directory must be inside the workspace's real path; on Linux the
 *   opened file's own path (/proc/self/fd) is checked again, so swapping a directory for a link
 *   between the check and the open is caught too;
 * - O_NONBLOCK, then only a regular file is read, and at most `maxBytes` of it;
 * - in a workspace that is not the builder's own (the app uid's), only the app uid's files are
 *   read (a hard link to a root-owned file is refused);
 * - listings never follow a link (entries are as lstat sees them).
 */

/** What the builder reads of a workspace file at most, unless the caller says otherwise. */
export const MAX_WORKSPACE_READ_BYTES = 10 * 1024 ** 2;

/** Why a workspace file was not read; `missing` when there is none (the message names the file). */
export class WorkspaceFileError extends Error {
  constructor(readonly path: string, readonly reason: string, readonly missing = false) {
    super(`${path} ${reason}`);
    this.name = 'WorkspaceFileError';
  }
}

const NO_LINK = 'is a symbolic link (the builder follows no link in the workspace)';
const OUT_OF_WORKSPACE = 'is under a symbolic link that leads out of the workspace';

/** Read `path` (relative to `workspace`) as bytes; throws WorkspaceFileError with the reason when it is not read. */
export function readWorkspaceFile(workspace: string, path: string, maxBytes = MAX_WORKSPACE_READ_BYTES): Buffer {
  const { root, target } = locate(workspace, path);
  let fd: number;
  try {
    // open(2) flags are bits.
    // eslint-disable-next-line no-bitwise
    fd = openSync(target, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | (constants.O_NOCTTY ?? 0));
  } catch (error) {
    throw openError(path, error);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new WorkspaceFileError(path, `is ${kindOf(stat)}, not a regular file`);
    if (!insideRoot(root, openedPath(fd) ?? target)) throw new WorkspaceFileError(path, OUT_OF_WORKSPACE);
    const owner = statSync(root).uid;
    if (owner !== process.getuid?.() && stat.uid !== owner) {
      throw new WorkspaceFileError(path, `is owned by uid ${stat.uid}, not by the workspace's owner (uid ${owner})`);
    }
    const tooLarge = new WorkspaceFileError(path, `is larger than ${byteLimit(maxBytes)}`);
    if (stat.size > maxBytes) throw tooLarge;
    // The file may grow while it is read: never more than maxBytes.
    const chunks: Buffer[] = [];
    const chunk = Buffer.alloc(64 * 1024);
    let total = 0;
    for (let read = readSync(fd, chunk, 0, chunk.length, null); read > 0; read = readSync(fd, chunk, 0, chunk.length, null)) {
      total += read;
      if (total > maxBytes) throw tooLarge;
      chunks.push(Buffer.from(chunk.subarray(0, read)));
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** The file as UTF-8 text (see readWorkspaceFile). */
export function readWorkspaceText(workspace: string, path: string, maxBytes = MAX_WORKSPACE_READ_BYTES): string {
  return readWorkspaceFile(workspace, path, maxBytes).toString('utf8');
}

/**
 * What is at `path` as lstat sees it (a link is a link, whatever it points to), or undefined
 * when nothing is, or when a directory on the way leads out of the workspace.
 */
export function workspaceEntry(workspace: string, path: string): 'file' | 'directory' | 'link' | 'other' | undefined {
  try {
    const stat = lstatSync(locate(workspace, path).target);
    return stat.isSymbolicLink() ? 'link' : stat.isFile() ? 'file' : stat.isDirectory() ? 'directory' : 'other';
  } catch {
    return undefined;
  }
}

/**
 * The entries of the directory at `path` ('.' is the workspace), as lstat sees them: a link to
 * a directory is a link, not a directory, so a walk over them never leaves the workspace.
 * Undefined when there is no directory there; WorkspaceFileError when it leads out of the workspace.
 */
export function listWorkspaceDir(workspace: string, path: string): Dirent[] | undefined {
  const root = realpathSync(workspace);
  const relative = checkedRelative(path);
  let real: string;
  try {
    real = realpathSync(join(root, relative));
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  if (!insideRoot(root, real)) throw new WorkspaceFileError(path, 'leads out of the workspace (a symbolic link)');
  if (!lstatSync(real).isDirectory()) return undefined;
  return readdirSync(real, { withFileTypes: true });
}

/**
 * Remove what is at `path` (a link itself, never what it points to; a directory with all it
 * holds, links inside it included, never followed). Nothing is removed when a directory on the
 * way leads out of the workspace: there is nothing of the workspace's there.
 */
export function removeWorkspacePath(workspace: string, path: string): void {
  let target: string;
  try {
    target = locate(workspace, path).target;
  } catch (error) {
    if (error instanceof WorkspaceFileError) return;
    throw error;
  }
  rmSync(target, { recursive: true, force: true });
}

/**
 * The workspace's real path and the path to open: the real path of the file's directory (which
 * must be inside the workspace) joined with the file's own name, not resolved.
 */
function locate(workspace: string, path: string): { root: string; target: string } {
  const root = realpathSync(workspace);
  const relative = checkedRelative(path);
  if (relative === '.') throw new WorkspaceFileError(path, 'is the workspace itself');
  const full = join(root, relative);
  let parent: string;
  try {
    parent = realpathSync(dirname(full));
  } catch (error) {
    if (isMissing(error)) throw new WorkspaceFileError(path, 'does not exist', true);
    throw error;
  }
  if (!insideRoot(root, parent)) throw new WorkspaceFileError(path, OUT_OF_WORKSPACE);
  return { root, target: join(parent, basename(full)) };
}

/** Paths here are the builder's own (constants, validated configuration, directory entries): never absolute, never `..`. */
function checkedRelative(path: string): string {
  const relative = normalize(path);
  if (path === '' || isAbsolute(path) || relative.split(/[\\/]/).includes('..')) throw new Error(`not a path inside the workspace: '${path}'`);
  return relative;
}

function insideRoot(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
}

/** The path the kernel has for an open file (Linux); undefined where there is no /proc. */
function openedPath(fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'a special file';
}

function byteLimit(bytes: number): string {
  return bytes % 1024 ** 2 === 0 ? `${bytes / 1024 ** 2} MiB` : `${bytes} bytes`;
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function openError(path: string, error: unknown): WorkspaceFileError {
  const code = (error as NodeJS.ErrnoException).code;
  // O_NOFOLLOW on a link: ELOOP (Linux, macOS), EMLINK (FreeBSD).
  if (code === 'ELOOP' || code === 'EMLINK') return new WorkspaceFileError(path, NO_LINK);
  if (isMissing(error)) return new WorkspaceFileError(path, 'does not exist', true);
  return new WorkspaceFileError(path, `could not be opened (${code ?? String(error)})`);
}
