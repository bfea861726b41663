import { listWorkspaceDir } from './workspace-files';

/** How deep below the install's folder workspace packages are looked for (`apps/web/packages/ui` is 3). */
const MAX_DEPTH = 6;
/** Folders looked at, at most: a checkout is walked once per save, never without bound. */
const MAX_FOLDERS = 20_000;
/** Never a package's folder: git's own, and tool caches that hold no node_modules of the install. */
const SKIPPED = new Set(['.git', '.hg', '.svn', '.trellis', '.venv', '.sst', 'cdk.out', '.serverless', '.aws-sam']);

/**
 * Every `node_modules` folder an install made under `installDir` (relative paths, sorted): the
 * root's and each workspace package's (npm, yarn and pnpm workspaces put some there; pnpm links
 * every package's own dependencies there). Not descended into (what a node_modules holds is its
 * own), links never followed.
 */
export function nodeModulesFolders(installDir: string): string[] {
  const found: string[] = [];
  let queue: string[] = ['.'];
  let seen = 0;
  for (let depth = 0; depth <= MAX_DEPTH && queue.length > 0 && seen < MAX_FOLDERS; depth++) {
    const next: string[] = [];
    for (const folder of queue) {
      if (++seen > MAX_FOLDERS) break;
      for (const entry of listWorkspaceDir(installDir, folder) ?? []) {
        if (!entry.isDirectory() || SKIPPED.has(entry.name)) continue;
        const path = folder === '.' ? entry.name : `${folder}/${entry.name}`;
        if (entry.name === 'node_modules') found.push(path);
        else next.push(path);
      }
    }
    queue = next;
  }
  return found.sort();
}
