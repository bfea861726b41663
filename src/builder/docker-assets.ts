import { existsSync, readdirSync, readFileSync } from 'fs';
import { join, relative } from 'path';

/**
 * Docker image assets in a synthesized CDK cloud assembly (`*.assets.json`, including
 * nested stage assemblies), as `file: asset id` strings. Fargate builds cannot run Docker.
 */
export function dockerImageAssets(assemblyDir: string): string[] {
  const found: string[] = [];
  const visit = (dir: string, depth: number) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      // Stage assemblies nest as assembly-*/; asset.* folders hold app code, not manifests.
      if (entry.isDirectory() && entry.name.startsWith('assembly-') && depth < 3) visit(path, depth + 1);
      if (!entry.isFile() || !entry.name.endsWith('.assets.json')) continue;
      const images = readJson(path)?.dockerImages;
      if (images && typeof images === 'object') {
        found.push(...Object.keys(images).map(id => `${relative(assemblyDir, path)}: ${id}`));
      }
    }
  };
  if (existsSync(assemblyDir)) visit(assemblyDir, 0);
  return found;
}

function readJson(path: string): { dockerImages?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined; // not ours to judge; cdk deploy reports a broken assembly
  }
}
