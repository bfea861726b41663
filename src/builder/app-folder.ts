import { join } from 'path';
import { BuildError } from './build-error';
import { LOCKFILES } from './detect';
import { WorkspaceFileError, readWorkspaceText, workspaceEntry } from './workspace-files';
import { BUILDER_EXIT } from '../runtime/core/builder-exit';
import { isPlainObject } from '../runtime/core/plain-object';
import { rootDirectoryProblem } from '../runtime/core/root-directory';

/** Where in the checkout the app's commands run. */
export interface AppFolder {
  /** Relative to the checkout; '' is the root. */
  readonly path: string;
  /** Absolute: detection, tests, build and deploy run here. */
  readonly dir: string;
  /** Relative to the checkout: where the install runs (the workspace root above the app, or the app itself). */
  readonly installPath: string;
  readonly installDir: string;
}

/**
 * The app's folder (`rootDirectory`, checked by the configuration's rule) and the folder its
 * install runs in: the nearest folder from the app up to the checkout's root that has a
 * lockfile, when it is the app's own or a workspace root (package.json `workspaces`,
 * pnpm-workspace.yaml); else the app's folder. Every folder on the way must be a real folder
 * of the checkout, not a link.
 */
export function appFolder(workspace: string, rootDirectory: string | undefined): AppFolder {
  if (!rootDirectory) return { path: '', dir: workspace, installPath: '', installDir: workspace };
  const problem = rootDirectoryProblem(rootDirectory);
  if (problem) throw new BuildError(`rootDirectory: ${problem}`, BUILDER_EXIT.invalid);
  checkFolderChain(workspace, rootDirectory);
  const installPath = installRoot(workspace, rootDirectory);
  const installDir = installPath ? join(workspace, installPath) : workspace;
  return { path: rootDirectory, dir: join(workspace, rootDirectory), installPath, installDir };
}

/**
 * Each folder from the root to the app is a directory, not a link: the builder reads the app's
 * files there as itself, so no folder on the way may lead elsewhere. Checked after the clone and
 * again after each of the app's commands (which may replace a folder; none of its processes
 * runs between commands).
 */
export function checkFolderChain(workspace: string, rootDirectory: string): void {
  const segments = rootDirectory.split('/');
  for (let depth = 1; depth <= segments.length; depth++) {
    const path = segments.slice(0, depth).join('/');
    const entry = workspaceEntry(workspace, path);
    if (entry === 'directory') continue;
    const what = entry === undefined ? 'does not exist in the repository at this commit' : entry === 'link' ? 'is a symbolic link (the app folder must be a real folder)' : 'is not a folder';
    throw new BuildError(`rootDirectory '${rootDirectory}': ${path} ${what}`);
  }
}

/** The relative path the install runs in (see appFolder). */
function installRoot(workspace: string, rootDirectory: string): string {
  const segments = rootDirectory.split('/');
  for (let depth = segments.length; depth >= 0; depth--) {
    const path = segments.slice(0, depth).join('/');
    if (!LOCKFILES.some(([file]) => workspaceEntry(workspace, join(path || '.', file)) !== undefined)) continue;
    // A lockfile above the app installs it only when that folder is a workspace root.
    return depth === segments.length || isWorkspaceRoot(workspace, path) ? path : rootDirectory;
  }
  return rootDirectory;
}

function isWorkspaceRoot(workspace: string, path: string): boolean {
  const at = (file: string) => (path ? `${path}/${file}` : file);
  if (workspaceEntry(workspace, at('pnpm-workspace.yaml')) === 'file') return true;
  try {
    const manifest = JSON.parse(readWorkspaceText(workspace, at('package.json')));
    return isPlainObject(manifest) && manifest.workspaces !== undefined;
  } catch (error) {
    if (error instanceof WorkspaceFileError || error instanceof SyntaxError) return false;
    throw error;
  }
}
