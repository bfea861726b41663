import { existsSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { AppUser } from './app-user';
import { ArtifactManifest, ArtifactStorage, NO_ARTIFACT, artifactKey, fetchArtifact, onPath, saveArtifact } from './artifacts';
import { Argv, CommandPlan, declaredArtifact, planCommands } from './commands';
import { byteSize } from './dependency-cache';
import { Project } from './detect';
import { BuildRequest } from './params';
import { Phases } from './phases';
import { Store } from '../runtime/core/ports';
import { Deployment, EnvironmentConfig } from '../runtime/core/types';

/** A rollback or promotion that deploys a stored artifact instead of building. */
export interface ArtifactDeploy {
  /** The deployment whose artifact is deployed (the one that built it). */
  readonly sourceId: string;
  readonly deploy: readonly Argv[];
  /** Where that deploy leaves its stack outputs (for a `stackOutput` health check). */
  readonly outputs: string;
}

/** How far a chain of deployments made from artifacts is followed back to the one that built. */
const MAX_HOPS = 20;

/**
 * Phase `fetch-artifact`, for every rollback and promotion when there is artifact storage:
 * succeeded when the source deployment's artifact was made for this target and is unpacked
 * into the workspace (the build then only deploys it), skipped with `rebuild: <why>` otherwise.
 */
export async function deployFromArtifact(phases: Phases, storage: ArtifactStorage | undefined, store: Store, request: BuildRequest,
  self: Deployment, env: EnvironmentConfig, workspace: string, path: string | undefined,
  user?: AppUser): Promise<ArtifactDeploy | undefined> {
  if (!storage || (request.action !== 'rollback' && request.action !== 'promote')) return undefined;
  const scratch = mkdtempSync(join(tmpdir(), 'trellis-artifact-'));
  try {
    return await phases.run('fetch-artifact', async note => {
      const choice = await chooseArtifact(storage, store, request, self, env, workspace, scratch, path, user);
      note.skipped = 'rebuild' in choice;
      note.detail = 'rebuild' in choice ? `rebuild: ${choice.rebuild}`
        : `from artifact ${choice.sourceId} (${choice.manifest.framework}, ${byteSize(choice.bytes)} from ${storage.location})`;
      return 'rebuild' in choice ? undefined : { sourceId: choice.sourceId, deploy: choice.deploy, outputs: choice.outputs };
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

type Choice = (ArtifactDeploy & { readonly manifest: ArtifactManifest; readonly bytes: number }) | { readonly rebuild: string };

async function chooseArtifact(storage: ArtifactStorage, store: Store, request: BuildRequest, self: Deployment,
  env: EnvironmentConfig, workspace: string, scratch: string, path: string | undefined, user: AppUser | undefined): Promise<Choice> {
  const configured = env.framework;
  const declared = declaredArtifact(configured);
  if (declared && 'none' in declared) return { rebuild: declared.none };
  const source = await builtBy(store, self);
  if (typeof source === 'string') return { rebuild: source };
  // An artifact is made for one environment, and each environment's builds may read only their own.
  if (source.environment !== env.name) return { rebuild: `target differs: built in ${source.environment}, this deploys ${env.name} (an artifact deploys only where it was built)` };

  const key = artifactKey(request.application, source.environment, source.id);
  let deploy: readonly Argv[] = [];
  let outputs = '';
  const fetched = await fetchArtifact(storage, key, { stage: request.stage, environment: env.name, region: env.region, account: env.account },
    request.commit, workspace, scratch, manifest => {
      if (configured && configured.kind !== manifest.framework) return `the environment now deploys with ${configured.kind}, the artifact is ${manifest.framework}`;
      ({ deploy, outputs } = planCommands(artifactProject(manifest), env, request.stage, request.application));
      // Configured commands: the stored paths are what that deploy command needed.
      if (configured?.deploy && !sameArgv(manifest.deployCommand, deploy[0])) return 'the deploy command changed since the artifact was made';
      const cli = deploy[0][0];
      if (cli.startsWith('/')) return existsSync(cli) ? undefined : `${cli} does not exist here`;
      if (cli.includes('/')) return inPaths(cli, manifest.paths) ? undefined : `${cli} is not among the artifact's paths`;
      return onPath(cli, path) ? undefined : `${cli} is not on PATH (a deploy from an artifact has no node_modules)`;
    }, user);
  if (!fetched.usable) {
    if (fetched.reason !== NO_ARTIFACT) return { rebuild: fetched.reason };
    const why = savedNothingBecause(source);
    return { rebuild: `${NO_ARTIFACT} for ${source.id}${why ? `: ${why}` : ''}` };
  }
  return { sourceId: source.id, deploy, outputs, manifest: fetched.manifest, bytes: fetched.bytes };
}

/**
 * The deployment whose build made the version `self` redeploys: its trigger's source,
 * followed back through deployments that were themselves deployed from an artifact.
 * A string says why there is none.
 */
async function builtBy(store: Store, self: Deployment): Promise<Deployment | string> {
  let sourceId = self.trigger.sourceDeploymentId;
  if (!sourceId) return 'no source deployment is recorded';
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const source = await store.deployments.get(sourceId);
    if (!source) return `the source deployment ${sourceId} does not exist`;
    const fetched = source.phases?.find(phase => phase.phase === 'fetch-artifact');
    if (fetched?.outcome !== 'succeeded' || !source.trigger.sourceDeploymentId) return source;
    sourceId = source.trigger.sourceDeploymentId;
  }
  return `more than ${MAX_HOPS} deployments from artifacts in a row`;
}

/** Why the source deployment stored no artifact, as its save-artifact phase said. */
function savedNothingBecause(source: Deployment): string | undefined {
  const saved = source.phases?.find(phase => phase.phase === 'save-artifact');
  return saved?.outcome === 'skipped' ? saved.detail : undefined;
}

/** The project as far as planning its deploy needs: the framework and where the artifact's files are. */
function artifactProject(manifest: ArtifactManifest): Project {
  return {
    packageManager: 'npm',
    hasPackageJson: false,
    hasTestScript: false,
    framework: {
      kind: manifest.framework,
      label: manifest.framework,
      cdkOut: manifest.framework === 'cdk' ? manifest.paths[0] : undefined,
      configFile: manifest.framework === 'cdk' ? undefined : manifest.paths[manifest.framework === 'serverless' ? 0 : 1],
      // An artifact deploys only where it was built: the samconfig section its deploy read then is the one to read again.
      ...manifest.framework === 'sam' && { samConfigEnvironments: configEnvOf(manifest.deployCommand) },
    },
  };
}

/** The `--config-env` a recorded SAM deploy command named, unless it was the default section. */
function configEnvOf(argv: readonly string[]): string[] {
  const at = argv.indexOf('--config-env');
  const name = at >= 0 ? argv[at + 1] : undefined;
  return name && name !== 'default' ? [name] : [];
}

/** Phase `save-artifact` after a deploy that built (with artifact storage): what the deploy used, under this deployment's key. */
export async function saveArtifactAfterDeploy(phases: Phases, storage: ArtifactStorage | undefined, plan: CommandPlan, project: Project,
  request: BuildRequest, env: EnvironmentConfig, workspace: string, user?: AppUser): Promise<void> {
  if (!storage) return;
  const key = artifactKey(request.application, env.name, request.deploymentId);
  const scratch = mkdtempSync(join(tmpdir(), 'trellis-artifact-'));
  try {
    await phases.run('save-artifact', async note => {
      const result = await saveArtifact(storage, key, plan.artifact, {
        framework: project.framework.kind,
        stage: request.stage,
        environment: env.name,
        region: env.region,
        account: env.account,
        commit: request.commit,
        deploymentId: request.deploymentId,
        deployCommand: plan.deploy[0],
      }, workspace, scratch, undefined, user);
      note.skipped = !result.saved;
      note.detail = result.saved ? `saved ${project.framework.kind} artifact, ${byteSize(result.bytes)} to ${storage.location}` : result.reason;
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function sameArgv(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((arg, i) => arg === b[i]);
}

/** Whether a program given as a relative path (`./deploy.sh`, `bin/ship`) is stored in the artifact. */
function inPaths(program: string, paths: readonly string[]): boolean {
  const relative = program.replace(/^(\.\/)+/, '');
  return paths.some(path => relative === path || relative.startsWith(`${path.replace(/\/+$/, '')}/`));
}
