import { chmodSync, chownSync, mkdirSync, readdirSync } from 'fs';
import { join } from 'path';
import { AppFolder, appFolder, checkFolderChain } from './app-folder';
import { AppUser, chooseAppUser } from './app-user';
import { deployFromArtifact, saveArtifactAfterDeploy } from './artifact-phases';
import { ArtifactStorage } from './artifacts';
import { BuildError } from './build-error';
import { CacheStorage } from './cache-storage';
import { installWithCache } from './cached-install';
import { StackChoice, assemblyStacks, chooseStacks, withStacks } from './cdk-stacks';
import { appEnvironment, baseEnvironment, deployEnvironment } from './child-env';
import { Argv, CommandPlan, planCommands, resolveCommand } from './commands';
import { corepackFallback } from './corepack-fallback';
import { CredentialSource } from './credentials';
import { decideCache } from './dependency-cache';
import { nodeDependencies, pythonDependencies, withPythonFirst } from './dependency-sets';
import { detectProject } from './detect';
import { dockerImageAssets } from './docker-assets';
import { failureReason } from './failure-cause';
import { ancestryCommands, cloneCommands, gitEnvironment, gitTokenForms, repositoryUrl } from './git';
import { checkHealth, forgetStackOutputs, healthCheckUrl } from './health-check';
import { MIN_SECRET_LENGTH, Masker } from './masking';
import { chooseNodeVersion, provideNode, withNodeFirst } from './node-version';
import { LineWriter, Reporter } from './output';
import { BuildRequest, ParameterEnv, readBuildSettings, requestFromRecord } from './params';
import { PhaseNote, Phases } from './phases';
import { displayCommand, runCommand, stopStrayProcesses } from './process-runner';
import { RepositoryTokenSource, cloneToken } from './repository-token';
import { BuildSecrets, loadSecrets } from './secrets';
import { WorkspaceFileError } from './workspace-files';
import { BUILDER_EXIT } from '../runtime/core/builder-exit';
import * as names from '../runtime/core/names';
import { BuildPhase } from '../runtime/core/phase-markers';
import { Clock, SecretSource, Store } from '../runtime/core/ports';
import { isTerminal } from '../runtime/core/state-machine';
import { ApplicationConfig, Deployment, EnvironmentConfig, EnvironmentState } from '../runtime/core/types';

export interface BuildDeps {
  readonly store: Store;
  readonly secrets: SecretSource;
  readonly credentials: CredentialSource;
  /** An empty directory the commit is checked out into; every command runs there. */
  readonly workspace: string;
  readonly output: LineWriter;
  readonly clock: Clock;
  /** Aborted when the task is stopped: the running command is killed and the build fails. */
  readonly signal?: AbortSignal;
  /** Where `node_modules` is cached between builds; absent = every build installs from the registry. */
  readonly cache?: CacheStorage;
  /** Where deploys keep what a rollback redeploys without building; absent = rollbacks rebuild, unlabelled. */
  readonly artifacts?: ArtifactStorage;
  /**
   * Refuse to run the app's commands as the builder's own user (the image's builder, which is
   * root): without an app user nothing runs. Local mode and builder tests run as the user.
   */
  readonly appUserRequired?: boolean;
  /** Where Nodes fetched for apps that ask for another major are kept between builds (node-version.ts). */
  readonly nodeCache?: string;
  /**
   * A folder with `bin/pnpm` and `bin/yarn` of the builder's own, run when corepack cannot
   * download the version a repository asks for (corepack-fallback.ts); absent = no fallback.
   */
  readonly packageManagers?: string;
  /** With a GitHub App: where the clone's installation token comes from; absent = the GitHub token secret (PAT), if any. */
  readonly repositoryTokens?: RepositoryTokenSource;
}

/** Everything prepare found out; nothing of it is printed unmasked. */
interface Prepared {
  readonly request: BuildRequest;
  /** This build's deployment as recorded: where the request came from. */
  readonly deployment: Deployment;
  readonly app: ApplicationConfig;
  readonly env: EnvironmentConfig;
  readonly secrets: BuildSecrets;
  readonly credentials: Readonly<Record<string, string>>;
  /** Who the app's commands run as; undefined: the builder's own user. */
  readonly user?: AppUser;
}

/**
 * One build: prepare, clone, detect, install, test, build, then deploy (and the health check,
 * when configured) or remove.
 * Returns the exit code (BUILDER_EXIT); the finalizer decides the status from it.
 */
export async function runBuild(processEnv: ParameterEnv, deps: BuildDeps): Promise<number> {
  const reporter = new Reporter(deps.output, new Masker());
  const phases = new Phases(reporter, deps.clock);
  const workspace = deps.workspace;
  let user: AppUser | undefined;
  // Where the app's commands run: the checkout's root until the clone says where the app is.
  let folder: AppFolder = { path: '', dir: workspace, installPath: '', installDir: workspace };
  const attempt = async (argv: Argv, env: Record<string, string>, cwd = folder.dir) => {
    const resolved = resolveCommand([cwd, folder.dir, folder.installDir], argv);
    reporter.line(`$ ${displayCommand(argv)}${cwd === workspace ? '' : `   (in ${relativeTo(workspace, cwd)})`}`);
    const result = await runCommand(resolved, {
      cwd,
      env,
      masker: reporter.masker,
      signal: deps.signal,
      onLine: (line, stream) => reporter.line(line, stream),
      user,
    });
    // Nothing the command left behind runs on while the builder reads the workspace or the next command runs.
    if (user) await stopStrayProcesses(user);
    // Nothing of the app runs now: the folders the builder reads in are still the checkout's own.
    if (folder.path) checkFolderChain(workspace, folder.path);
    return result;
  };
  const exec = async (argv: Argv, env: Record<string, string>, cwd?: string) => {
    let result = await attempt(argv, env, cwd);
    const fallback = corepackFallback(argv, result, deps.packageManagers);
    if (fallback) {
      reporter.line(`corepack could not download the ${argv[0]} the repository asks for (packageManager); running the image's own ${argv[0]} instead`, 'stderr');
      result = await attempt(fallback, env, cwd);
    }
    // The reason carries the cause from the command's last lines, masked (failure-cause.ts).
    if (result.error || result.code !== 0) throw new BuildError(failureReason(argv, result, reporter.masker));
  };
  const runAll = async (commands: readonly Argv[], env: Record<string, string>, cwd?: string) => {
    for (const argv of commands) await exec(argv, env, cwd);
  };

  let closePython: (() => void) | undefined;
  try {
    const prepared = await phases.run('prepare', note => prepare(processEnv, deps, reporter, note));
    const { request, env } = prepared;
    user = prepared.user;
    const base = baseEnvironment(processEnv, user?.home);
    const appEnv = appEnvironment(base, env, prepared.secrets.variables, request.stage, request.commit);
    const deployEnv = deployEnvironment(appEnv, processEnv, prepared.credentials);
    const teardown = request.action === 'teardown';
    const step = async (phase: BuildPhase, commands: readonly Argv[], stepEnv: Record<string, string>, skipReason: string, check?: () => void,
      cwd?: string) => {
      if (commands.length === 0) return phases.skip(phase, skipReason);
      return phases.run(phase, async note => {
        await runAll(commands, stepEnv, cwd);
        note.detail = commands.map(displayCommand).join(' && ');
        check?.();
      });
    };
    // Deploy, then the health phase when the environment has a health check (none at all otherwise).
    const deployAndCheck = async (deploy: readonly Argv[], outputs: string) => {
      const check = env.healthCheck;
      if (check?.stackOutput !== undefined) forgetStackOutputs(folder.dir, outputs);
      await step('deploy', deploy, deployEnv, '');
      if (!check) return;
      await phases.run('health', async note => {
        const url = healthCheckUrl(check, folder.dir, outputs);
        note.detail = await checkHealth(url, check, line => reporter.line(line), deps.signal);
      });
    };

    const artifact = await deployFromArtifact(phases, deps.artifacts, deps.store, request, prepared.deployment, env, workspace, deployEnv.PATH, user);
    if (artifact) {
      await deployAndCheck(artifact.deploy, artifact.outputs);
      await phases.skip('save-artifact', `deployed from artifact ${artifact.sourceId}`);
      return BUILDER_EXIT.succeeded;
    }

    const outdated = await phases.run('clone', async note => {
      const url = repositoryUrl(prepared.app.repository, request.gitUrl, request.githubWebUrl);
      // Asked for right before the clone (an installation token lasts an hour); git alone gets it.
      const token = await cloneToken(deps.repositoryTokens, prepared.secrets.githubToken, reporter.masker, line => reporter.line(line));
      const gitEnv = gitEnvironment(base, url, token);
      await runAll(cloneCommands(url, request.commit), gitEnv, workspace);
      note.detail = `${request.commit.slice(0, 12)} from ${request.gitUrl ? url : prepared.app.repository}`;
      const newer = await deployedNewer(deps.store, prepared, request.commit, async deployed => {
        const { fetch, isAncestor } = ancestryCommands(url, request.commit, deployed);
        if ((await attempt(fetch, gitEnv, workspace)).code !== 0) return false;
        return (await attempt(isAncestor, gitEnv, workspace)).code === 0;
      });
      if (newer) note.detail = newer;
      return newer;
    });
    if (outdated) {
      reporter.line(outdated);
      return BUILDER_EXIT.outdated;
    }

    const { plan, cache, project: detected, node, python } = await phases.run('detect', async note => {
      folder = appFolder(workspace, env.rootDirectory ?? prepared.app.rootDirectory);
      const project = detectProject(folder.dir, env.framework, { installDir: folder.installDir, rootDirectory: folder.path || undefined });
      note.detail = project.hasPackageJson
        ? `${project.framework.label} with ${project.packageManager}${project.lockfile ? '' : ' (no lockfile)'}`
        : `${project.framework.label} (no package.json)`;
      if (project.ignoredLockfiles) note.detail += `; ${project.lockfile} chosen, ${project.ignoredLockfiles.join(' and ')} ignored (remove it, or set the install command)`;
      if (folder.path) note.detail += `; in ${folder.path}${folder.installPath === folder.path ? '' : `, installed at ${folder.installPath || 'the repository root'}`}`;
      const chosen = await provideNode(chooseNodeVersion(foldersUp(workspace, folder), env.nodeVersion),
        { cacheRoot: deps.nodeCache, user, signal: deps.signal, log: (line, stream) => reporter.line(line, stream) });
      if (chosen.asked) note.detail += `, ${chosen.description}`;
      const planned: CommandPlan = planCommands(project, env, request.stage, request.application);
      const runtime = { node: chosen.version, platform: process.platform, arch: process.arch };
      const pythonDeps = pythonDependencies(request.application, env, folder, appEnv, runAll, deps.cache, user);
      if (typeof pythonDeps === 'string') {
        note.detail += `; python dependencies not installed: ${pythonDeps}`;
      } else if (pythonDeps) {
        closePython = pythonDeps.close;
        note.detail += `; ${pythonDeps.plan.label}`;
      }
      const decision = decideCache(request.application, env, project, folder.installDir, runtime, folder.installPath);
      return { plan: planned, cache: decision, project, node: chosen, python: typeof pythonDeps === 'object' ? pythonDeps : undefined };
    });
    // The app's commands run with the chosen Node's node, npm and npx; the builder keeps its own.
    withNodeFirst(appEnv, node);
    withNodeFirst(deployEnv, node);

    const sets = [nodeDependencies(plan.install, cache, folder, appEnv, runAll, deps.cache, user), python?.set].filter(set => set !== undefined);
    await installWithCache(phases, deps.cache, sets, 'no package.json, no Python dependencies and no install command');
    if (python) {
      // Tests, build and deploy run in the venv; SAM's build and deploy do not (sam build needs a
      // Python with pip, and installs each function's own requirements itself).
      withPythonFirst(appEnv, python.plan);
      if (detected.framework.kind !== 'sam') withPythonFirst(deployEnv, python.plan);
    }
    // A restored archive is unpacked as the app: its folders are checked like after a command.
    if (folder.path) checkFolderChain(workspace, folder.path);
    if (teardown) await phases.skip('test', 'teardown does not run tests');
    else await step('test', plan.test, appEnv, plan.testSkipped ?? '');
    // CDK synthesizes first, also to tear down: which stacks are this environment's is read from the assembly.
    const cdkOut = plan.cdkOut;
    let stacks: StackChoice | undefined;
    const chooseCdkStacks = (assembly: string) => {
      stacks = chooseStacks(assemblyStacks(folder.dir, assembly), request.stage, prepared.app.environments.map(e => e.name), env.stacks);
      reporter.line(`CDK deploys ${stacks.detail}`);
    };
    const stacksOf = (commands: readonly Argv[]) => commands.map(argv => (stacks ? withStacks(argv, stacks) : argv));
    if (teardown) {
      if (cdkOut) await step('build', plan.build, deployEnv, '', () => chooseCdkStacks(cdkOut));
      else await phases.skip('build', 'teardown does not build');
      await step('remove', stacksOf(plan.remove), deployEnv, '');
    } else {
      await step('build', plan.build, deployEnv, 'the deploy command builds', cdkOut ? () => {
        refuseDockerAssets(folder.dir, cdkOut);
        chooseCdkStacks(cdkOut);
      } : undefined);
      await deployAndCheck(stacksOf(plan.deploy), plan.outputs);
      // Only a healthy deploy is kept: a failed one is never a rollback target.
      await saveArtifactAfterDeploy(phases, deps.artifacts, plan, detected, request, env, folder.dir, user);
    }
    return BUILDER_EXIT.succeeded;
  } catch (error) {
    return error instanceof BuildError ? error.exitCode : BUILDER_EXIT.failed;
  } finally {
    closePython?.();
  }
}

/**
 * A push older than the deployed push of its branch deploys nothing: after the clone, when the
 * environment's deployed version came from a push of the same branch and this push neither was
 * forced nor follows it directly (its `before`), `git merge-base --is-ancestor <commit> <deployed>`
 * decides. Returns the reason (`superseded by <id>: ...`) or undefined to deploy. A history that
 * cannot be fetched (a rewritten branch) deploys: only a proven ancestor is outdated.
 */
async function deployedNewer(store: Store, prepared: Prepared, commit: string,
  isAncestorOf: (deployed: string) => Promise<boolean>): Promise<string | undefined> {
  const { deployment, request } = prepared;
  const position = deployment?.push;
  if (!position || position.forced || request.action !== 'deploy' || deployment.trigger.kind !== 'push') return undefined;
  const state = prepared.env as Partial<EnvironmentState>;
  const deployed = state.currentCommit;
  if (!deployed || !state.currentDeploymentId || deployed === commit || position.before === deployed) return undefined;
  const current = await store.deployments.get(state.currentDeploymentId);
  if (current?.trigger.kind !== 'push' || current.branch !== deployment.branch || current.commit !== deployed) return undefined;
  if (!await isAncestorOf(deployed)) return undefined;
  return `superseded by ${current.id}: commit ${commit.slice(0, 12)} is an ancestor of the deployed ${deployed.slice(0, 12)}, pushed later to ${deployment.branch}`;
}

async function prepare(processEnv: ParameterEnv, deps: BuildDeps, reporter: Reporter, note: PhaseNote): Promise<Prepared> {
  const read = readBuildSettings(processEnv);
  if (!read.ok) throw invalid(`invalid build parameters: ${read.problems.join('; ')}`);
  const { deploymentId } = read.value;
  // Who the app's commands run as, said once; a wrong setting in the image runs nothing.
  const chosen = chooseAppUser(processEnv);
  if ('problem' in chosen) throw invalid(`the app user: ${chosen.problem}`);
  if (deps.appUserRequired && !chosen.user) {
    throw invalid(`the app user: none, and this builder may not run app code as itself (${chosen.description})`);
  }
  reporter.line(chosen.description);
  const user = chosen.user;

  // What is built, and where, is the record's: the launcher passes only its id.
  const deployment = await deps.store.deployments.get(deploymentId);
  if (!deployment) throw invalid(`deployment ${deploymentId} is not recorded: nothing is built`);
  // A task started for a deployment that has already ended (cancelled while a repeated launch
  // started it again) must deploy nothing.
  if (isTerminal(deployment.status)) throw invalid(`deployment ${deploymentId} is already ${deployment.status}: nothing is built`);
  const recorded = requestFromRecord(read.value, deployment);
  if (!recorded.ok) throw invalid(`invalid deployment record ${deploymentId}: ${recorded.problems.join('; ')}`);
  const request = recorded.value;

  const app = await deps.store.config.getApplication(request.application);
  if (!app) throw invalid(`application '${request.application}' is not configured`);
  const env = app.environments.find(candidate => candidate.name === request.environment);
  if (!env) throw invalid(`application '${request.application}' has no environment '${request.environment}'`);
  const repositoryProblem = request.gitUrl ? undefined : names.repository(app.repository);
  if (repositoryProblem) throw invalid(`repository of '${app.name}': ${repositoryProblem}`);
  if (env.framework?.kind === 'custom' && !(request.action === 'teardown' ? env.framework.remove : env.framework.deploy)) {
    throw invalid(`the custom framework of '${app.name}/${env.name}' has no ${request.action === 'teardown' ? 'remove' : 'deploy'} command`);
  }

  // A preview reads the secrets of the environment it copies, a fork's preview none (core/previews.ts).
  const preview = (env as Partial<EnvironmentState>).preview;
  const secrets = await loadSecrets(deps.secrets, request.installation, request.application, preview ? preview.secretsFrom : request.environment);
  const masker = reporter.masker;
  if (secrets.githubToken) gitTokenForms(secrets.githubToken).forEach(form => masker.add(form));
  for (const [name, value] of Object.entries(secrets.variables)) {
    if (!masker.add(value) && value !== '') {
      reporter.line(`warning: secret ${name} is shorter than ${MIN_SECRET_LENGTH} characters and is not masked in the log`, 'stderr');
    }
  }
  const credentials = await deps.credentials.credentialsFor(env, request.application);
  Object.values(credentials).forEach(value => masker.add(value));

  mkdirSync(deps.workspace, { recursive: true });
  if (readdirSync(deps.workspace).length > 0) throw new BuildError(`workspace ${deps.workspace} is not empty`);
  // The empty checkout directory becomes the app user's: git, the install and every command write there.
  if (user) {
    chownSync(deps.workspace, user.uid, user.gid);
    chmodSync(deps.workspace, 0o700);
  }

  note.detail = `${request.action} ${app.name}/${env.name} at ${request.commit.slice(0, 12)} to stage ${request.stage}`;
  return { request, deployment, app, env, secrets, credentials, user };
}

function refuseDockerAssets(workspace: string, assembly: string): void {
  let images: string[];
  try {
    images = dockerImageAssets(workspace, assembly);
  } catch (error) {
    if (error instanceof WorkspaceFileError) throw new BuildError(`${error.message}: the cloud assembly is not read and not deployed`);
    throw error;
  }
  if (images.length === 0) return;
  throw new BuildError(
    `this CDK app has Docker image assets (${images.slice(0, 5).join(', ')}${images.length > 5 ? ', ...' : ''}) `
    + 'and Fargate builds cannot run Docker. Use images built elsewhere (e.g. from ECR) or an executor that can run Docker.',
  );
}

/** The app's folder, then each folder above it up to the checkout's root (where a Node version may be asked for). */
function foldersUp(workspace: string, folder: AppFolder): string[] {
  const segments = folder.path ? folder.path.split('/') : [];
  return Array.from({ length: segments.length + 1 }, (_, up) => join(workspace, ...segments.slice(0, segments.length - up)));
}

function relativeTo(workspace: string, dir: string): string {
  return dir.slice(workspace.length + 1);
}

function invalid(message: string): BuildError {
  return new BuildError(message, BUILDER_EXIT.invalid);
}
