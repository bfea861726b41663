import { join, relative } from 'path';
import { listWorkspaceDir, readWorkspaceText } from './workspace-files';

/**
 * Docker image assets in a synthesized CDK cloud assembly (`*.assets.json`, including
 * nested stage assemblies), as `file: asset id` strings. Fargate builds cannot run Docker.
 * `assembly` is relative to the app's `workspace` and read as the app's (workspace-files.ts):
 * no link is followed, and an assembly directory that leads out of the workspace is a
 * WorkspaceFileError.
 */
export function dockerImageAssets(workspace: string, assembly: string): string[] {
  const found: string[] = [];
  const visit = (dir: string, depth: number) => {
    for (const entry of listWorkspaceDir(workspace, dir) ?? []) {
      const path = join(dir, entry.name);
      // Stage assemblies nest as assembly-*/; asset.* folders hold app code, not manifests. Links are neither.
      if (entry.isDirectory() && entry.name.startsWith('assembly-') && depth < 3) visit(path, depth + 1);
      if (!entry.isFile() || !entry.name.endsWith('.assets.json')) continue;
      const images = readJson(workspace, path)?.dockerImages;
      if (images && typeof images === 'object') {
        found.push(...Object.keys(images).map(id => `${relative(assembly, path)}: ${id}`));
      }
    }
  };
  visit(assembly, 0);
  return found;
}

function readJson(workspace: string, path: string): { dockerImages?: unknown } | undefined {
  try {
    return JSON.parse(readWorkspaceText(workspace, path));
  } catch {
    return undefined; // not ours to judge; cdk deploy reports a broken assembly
  }
}
