import { join } from 'path';
import { Argv } from './commands';
import { CommandResult } from './process-runner';
import { workspaceEntry } from './workspace-files';

/** Where the builder image keeps its own pinned pnpm and yarn, off PATH (the Dockerfile installs them). */
export const IMAGE_PACKAGE_MANAGERS = '/opt/trellis-pm';

/** The package managers corepack provides in the image. */
const COREPACK_TOOLS = new Set(['pnpm', 'yarn']);

/**
 * What corepack prints when it cannot download the version a package.json `packageManager`
 * asks for (its request error, or Node's `fetch failed` from corepack's own code).
 */
const FETCH_FAILED = [
  /Error when performing the request to https?:\/\//,
  /corepack.*\b(fetch failed|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT)\b/i,
  /\b(fetch failed|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT)\b.*corepack/i,
];

/**
 * The same command with the image's own pnpm or yarn, when `argv` ran through corepack and
 * failed because corepack could not fetch the version the repository asks for; else undefined.
 * The image's version may differ from the asked one (the log says so): an install that the
 * registry cannot serve at all is not saved by it, one that only corepack's download failed is.
 */
export function corepackFallback(argv: Argv, result: CommandResult, root: string | undefined): Argv | undefined {
  if (!root || !COREPACK_TOOLS.has(argv[0]) || result.code === 0 || result.code === undefined) return undefined;
  if (!result.output.some(line => FETCH_FAILED.some(pattern => pattern.test(line)))) return undefined;
  const own = join('bin', argv[0]);
  if (workspaceEntry(root, own) === undefined) return undefined;
  // pnpm would otherwise fetch the asked version itself (its own packageManager handling).
  return [join(root, own), ...argv.slice(1), ...argv[0] === 'pnpm' ? ['--config.manage-package-manager-versions=false'] : []];
}
