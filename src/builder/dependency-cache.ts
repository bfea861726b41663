import { createHash } from 'crypto';
import { rmSync, statSync } from 'fs';
import { AppUser } from './app-user';
import { CacheStorage } from './cache-storage';
import { Project } from './detect';
import { nodeModulesFolders } from './node-modules-folders';
import { createArchive, extractArchive } from './tar';
import { WorkspaceFileError, readWorkspaceFile, removeWorkspacePath, workspaceEntry } from './workspace-files';
import { EnvironmentConfig } from '../runtime/core/types';

/** An archive larger than this is not saved: restoring it would not pay off, and S3 bills it. */
export const MAX_CACHE_ENTRY_BYTES = 2 * 1024 ** 3;

/** A lockfile is hashed up to this size; a larger one keys no cache. */
export const MAX_LOCKFILE_BYTES = 64 * 1024 ** 2;

/** What `node_modules` was built by and for: the same key means the same tree would be installed. */
export interface CacheRuntime {
  readonly node: string;
  readonly platform: string;
  readonly arch: string;
}

const THIS_RUNTIME: CacheRuntime = { node: process.versions.node, platform: process.platform, arch: process.arch };

/** Either the key this build uses, or why it uses no cache (shown as the phase's detail). */
export type CacheDecision = { readonly key: string } | { readonly skip: string };

/**
 * Whether and under which key this build caches `node_modules`: the application and
 * environment, the package manager, a hash of the lockfile (and of the install's folder when it
 * is not the checkout's root), Node's major version (native modules are built for it),
 * platform and architecture. `installDir` is where the install runs and the lockfile is.
 *
 * Entries are per environment: the root package's own install scripts are not in the lockfile,
 * so a build of any branch could store a tampered tree, and production must only ever restore
 * what a production build saved.
 */
export function decideCache(application: string, env: EnvironmentConfig, project: Project, installDir: string,
  runtime: CacheRuntime = THIS_RUNTIME, installPath = ''): CacheDecision {
  if (env.dependencyCache === false) return { skip: 'the dependency cache is off for this environment' };
  if (!project.hasPackageJson) return { skip: 'no package.json' };
  // A configured install command may do anything; only the package manager's own install is keyed by its lockfile.
  if (env.framework?.install) return { skip: 'a configured install command is not cached' };
  if (!project.lockfile) return { skip: 'no lockfile to key the cache by' };
  let lockfile: Buffer;
  try {
    // Read before any install, but the checkout is the app's (a link, a FIFO): through workspace-files.ts.
    lockfile = readWorkspaceFile(installDir, project.lockfile, MAX_LOCKFILE_BYTES);
  } catch (error) {
    if (error instanceof WorkspaceFileError) return { skip: `the lockfile is not read: ${error.message}` };
    throw error;
  }
  const hashed = createHash('sha256').update(lockfile);
  // The same lockfile installed from another folder is another tree (a root app's key is unchanged).
  if (installPath) hashed.update(`\0${installPath}`);
  const hash = hashed.digest('hex');
  const node = runtime.node.split('.')[0];
  return { key: `deps/${application}/${env.name}/${project.packageManager}/node${node}-${runtime.platform}-${runtime.arch}/${hash}` };
}

/** The key as the log shows it: the package manager, runtime and the lockfile hash's first 12 characters. */
export function shortKey(key: string): string {
  const [manager, runtime, file] = key.split('/').slice(-3);
  return `${manager} ${runtime} ${file.slice(0, 12)}`;
}

export type RestoreResult = { readonly hit: true; readonly bytes: number } | { readonly hit: false; readonly problem?: string };

/**
 * Unpack the entry into `workspace` (its node_modules folders), as `user` when given (the files
 * are then the app's, and the archive can do no more than the app could). A damaged entry is a
 * miss: what it unpacked is removed so the install starts clean.
 */
export async function restoreDependencies(storage: CacheStorage, key: string, workspace: string, archive: string,
  user?: AppUser): Promise<RestoreResult> {
  try {
    if (!await storage.fetch(key, archive)) return { hit: false };
  } catch (error) {
    // An unreachable cache costs an install, not the build.
    return { hit: false, problem: `the cache could not be read (${firstLine(error)})` };
  }
  const bytes = statSync(archive).size;
  try {
    await extractArchive(archive, ['-C', workspace], user);
    if (!workspaceEntry(workspace, 'node_modules')) throw new Error('the archive holds no node_modules');
    return { hit: true, bytes };
  } catch (error) {
    for (const folder of nodeModulesFolders(workspace)) removeWorkspacePath(workspace, folder);
    return { hit: false, problem: `the cached archive could not be unpacked (${firstLine(error)})` };
  } finally {
    rmSync(archive, { force: true });
  }
}

export type SaveResult = { readonly saved: true; readonly bytes: number } | { readonly saved: false; readonly reason: string };

/**
 * Pack every node_modules folder under `workspace` (the root's and each workspace package's:
 * restored, they are the tree a fresh install makes) with tar running as `user` when given, and
 * store it under `key`; never throws, a build does not fail for its cache.
 */
export async function saveDependencies(storage: CacheStorage, key: string, workspace: string, archive: string,
  maxBytes = MAX_CACHE_ENTRY_BYTES, user?: AppUser): Promise<SaveResult> {
  if (!workspaceEntry(workspace, 'node_modules')) {
    const pnp = ['.pnp.cjs', '.pnp.js'].some(file => workspaceEntry(workspace, file));
    return { saved: false, reason: pnp ? 'Yarn Plug\'n\'Play keeps no node_modules to cache' : 'the install made no node_modules: nothing to cache (no dependencies?)' };
  }
  return packAndStore(storage, key, archive, ['-C', workspace, '--', ...nodeModulesFolders(workspace)], maxBytes, user);
}

/**
 * `tar -czf - <tarArgs> > archive` (tar as `user` when given: it reads only what the app may
 * read; the archive is the builder's), then store the archive under `key` unless it is over
 * `maxBytes`; never throws (the reason says what went wrong), and the archive is removed afterwards.
 */
export async function packAndStore(storage: CacheStorage, key: string, archive: string, tarArgs: readonly string[],
  maxBytes = MAX_CACHE_ENTRY_BYTES, user?: AppUser): Promise<SaveResult> {
  try {
    await createArchive(archive, storage.compress, tarArgs, user);
    const bytes = statSync(archive).size;
    if (bytes > maxBytes) return { saved: false, reason: `the archive is ${byteSize(bytes)}, over the ${byteSize(maxBytes)} limit` };
    await storage.store(key, archive);
    return { saved: true, bytes };
  } catch (error) {
    return { saved: false, reason: `could not save: ${firstLine(error)}` };
  } finally {
    rmSync(archive, { force: true });
  }
}

/** `65.7 MB`, or `12.3 kB` below a megabyte (a small artifact would read `0.0 MB`). */
export function byteSize(bytes: number): string {
  return bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} kB` : `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}

export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0];
}
