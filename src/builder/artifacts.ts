import { chmodSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'fs';
import { delimiter, join } from 'path';
import { AppUser } from './app-user';
import { CacheStorage } from './cache-storage';
import { Argv, ArtifactPlan } from './commands';
import { MAX_CACHE_ENTRY_BYTES, SaveResult, firstLine, packAndStore } from './dependency-cache';
import { extractArchive } from './tar';
import { WorkspaceFileError, listWorkspaceDir, readWorkspaceText, removeWorkspacePath, workspaceEntry } from './workspace-files';
import { artifactPathProblem } from '../runtime/core/config-validation';
import { FrameworkKind } from '../runtime/core/types';

/** The reason fetchArtifact gives when nothing is stored under the key. */
export const NO_ARTIFACT = 'no artifact stored';

/** Deploy artifacts live in the same kind of storage as the dependency cache: whole archives by key. */
export type ArtifactStorage = CacheStorage;

/** The file in every artifact archive that says what it is and where it may be deployed. */
export const ARTIFACT_MANIFEST = 'trellis-artifact.json';

/** Frameworks whose deploy can run from stored files alone (custom commands: the paths they declare). */
const REDEPLOYABLE: readonly FrameworkKind[] = ['cdk', 'serverless', 'sam', 'custom'];

/** Where an artifact was deployed to; it may only be deployed to the same place again. */
export interface ArtifactTarget {
  readonly stage: string;
  readonly environment: string;
  readonly region?: string;
  readonly account?: string;
}

/** What a successful deploy stored, and for which target. */
export interface ArtifactManifest extends ArtifactTarget {
  readonly framework: FrameworkKind;
  readonly commit: string;
  readonly deploymentId: string;
  /** The deploy command that ran (for the reader; a rollback plans its own from the framework). */
  readonly deployCommand: Argv;
  /** The stored paths, relative to the checkout; unpacked to the same places. */
  readonly paths: readonly string[];
}

/** `artifacts/<app>/<env>/<deployment id>`: one archive per successful deploy (gzip or not: the storage says). */
export function artifactKey(application: string, environment: string, deploymentId: string): string {
  return `artifacts/${application}/${environment}/${deploymentId}`;
}

/**
 * Pack what the deploy used (the plan's paths) with a manifest and store it under `key`
 * (tar runs as `user` when given). Never throws: a deploy that succeeded does not fail for its artifact.
 */
export async function saveArtifact(storage: ArtifactStorage, key: string, plan: ArtifactPlan, manifest: Omit<ArtifactManifest, 'paths'>,
  workspace: string, scratch: string, maxBytes = MAX_CACHE_ENTRY_BYTES, user?: AppUser): Promise<SaveResult> {
  if ('skip' in plan) return { saved: false, reason: plan.skip };
  const missing = plan.paths.filter(path => !workspaceEntry(workspace, path));
  if (missing.length > 0) return { saved: false, reason: `the build left no ${missing.join(', ')}: a rollback rebuilds this commit` };
  if (manifest.framework === 'serverless') {
    let config: string;
    try {
      config = readWorkspaceText(workspace, plan.paths[0]);
    } catch (error) {
      if (error instanceof WorkspaceFileError) return { saved: false, reason: `${error.message}: a rollback rebuilds this commit` };
      throw error;
    }
    if (/^plugins\s*:/m.test(config)) return { saved: false, reason: 'Serverless plugins load from node_modules at deploy: a rollback rebuilds this commit' };
  }
  // tar running as the app's user reads the manifest (nothing secret) from a directory of its own,
  // inside a scratch directory it may pass through but not list.
  const manifestDir = join(scratch, 'manifest');
  try {
    mkdirSync(manifestDir, { mode: 0o755 });
    writeFileSync(join(manifestDir, ARTIFACT_MANIFEST), `${JSON.stringify({ ...manifest, paths: plan.paths }, null, 2)}\n`, { mode: 0o644 });
    if (user) chmodSync(scratch, 0o711);
    return await packAndStore(storage, key, join(scratch, 'save.tar'), ['-C', manifestDir, ARTIFACT_MANIFEST, '-C', workspace, '--', ...plan.paths], maxBytes, user);
  } catch (error) {
    return { saved: false, reason: `could not save: ${firstLine(error)}` };
  } finally {
    rmSync(manifestDir, { recursive: true, force: true });
  }
}

export type FetchArtifactResult =
  | { readonly usable: true; readonly manifest: ArtifactManifest; readonly bytes: number }
  | { readonly usable: false; readonly reason: string };

/**
 * Fetch the artifact under `key` and, when it was made for `target` (same stage, environment,
 * region and account) and `commit` and `refuse` has no objection, unpack it into the empty
 * `workspace` (as `user` when given: the files are the app's). Anything else is a reason to
 * rebuild, never an error.
 */
export async function fetchArtifact(storage: ArtifactStorage, key: string, target: ArtifactTarget, commit: string,
  workspace: string, scratch: string, refuse: (manifest: ArtifactManifest) => string | undefined = () => undefined,
  user?: AppUser): Promise<FetchArtifactResult> {
  const archive = join(scratch, 'fetch.tar');
  try {
    if (!await storage.fetch(key, archive)) return { usable: false, reason: NO_ARTIFACT };
  } catch (error) {
    return { usable: false, reason: `the artifact could not be read (${firstLine(error)})` };
  }
  try {
    // Only the manifest, into the builder's own scratch directory: as the builder (root), but
    // as a plain file of its own, whatever owner and mode the archive claims.
    await extractArchive(archive, ['--no-same-owner', '--no-same-permissions', '-C', scratch, ARTIFACT_MANIFEST]);
    const manifest = readManifest(scratch);
    if (!manifest) return { usable: false, reason: 'the artifact\'s manifest is not valid' };
    const differs = targetDifference(manifest, target);
    if (differs) return { usable: false, reason: `target differs: ${differs}` };
    if (manifest.commit !== commit) return { usable: false, reason: `the artifact is of commit ${manifest.commit.slice(0, 12)}, not ${commit.slice(0, 12)}` };
    const refused = refuse(manifest);
    if (refused) return { usable: false, reason: refused };
    await extractArchive(archive, ['-C', workspace, `--exclude=${ARTIFACT_MANIFEST}`], user);
    const missing = manifest.paths.filter(path => !workspaceEntry(workspace, path));
    if (missing.length > 0) throw new Error(`the archive holds no ${missing.join(', ')}`);
    return { usable: true, manifest, bytes: statSync(archive).size };
  } catch (error) {
    // The rebuild clones into the workspace: nothing half-unpacked may stay.
    for (const entry of listWorkspaceDir(workspace, '.') ?? []) removeWorkspacePath(workspace, entry.name);
    return { usable: false, reason: `the artifact could not be unpacked (${firstLine(error)})` };
  } finally {
    rmSync(archive, { force: true });
    rmSync(join(scratch, ARTIFACT_MANIFEST), { force: true });
  }
}

/** `stage dev in dev (eu-west-1/123456789012)` for the log. */
function describeTarget(target: ArtifactTarget): string {
  const where = [target.region, target.account].filter(Boolean).join('/');
  return `stage ${target.stage} in ${target.environment}${where ? ` (${where})` : ''}`;
}

/** Why an artifact made for `built` may not be deployed to `wanted`, or undefined when it may. */
export function targetDifference(built: ArtifactTarget, wanted: ArtifactTarget): string | undefined {
  const same = built.stage === wanted.stage && built.environment === wanted.environment
    && (built.region ?? '') === (wanted.region ?? '') && (built.account ?? '') === (wanted.account ?? '');
  return same ? undefined : `built for ${describeTarget(built)}, this deploys ${describeTarget(wanted)}`;
}

/** The manifest tar unpacked into `scratch`: from an archive, so read like a workspace file (no link, no FIFO, 1 MiB). */
function readManifest(scratch: string): ArtifactManifest | undefined {
  try {
    const value = JSON.parse(readWorkspaceText(scratch, ARTIFACT_MANIFEST, 1024 ** 2));
    const strings = ['framework', 'stage', 'environment', 'commit', 'deploymentId'].every(field => typeof value?.[field] === 'string');
    const optional = ['region', 'account'].every(field => value[field] === undefined || typeof value[field] === 'string');
    const paths = Array.isArray(value.paths) && value.paths.length > 0
      && value.paths.every((path: unknown) => typeof path === 'string' && artifactPathProblem(path) === undefined);
    const command = Array.isArray(value.deployCommand) && value.deployCommand.every((arg: unknown) => typeof arg === 'string');
    return strings && optional && paths && command && REDEPLOYABLE.includes(value.framework) ? value as ArtifactManifest : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `program` is an existing file in one of PATH's directories. */
export function onPath(program: string, path: string | undefined): boolean {
  return (path ?? '').split(delimiter).some(dir => dir !== '' && existsSync(join(dir, program)));
}
