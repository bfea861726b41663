import { join } from 'path';
import { BuildError } from './build-error';
import { PackageManager, Project } from './detect';
import { workspaceEntry } from './workspace-files';
import { BUILDER_EXIT } from '../runtime/core/builder-exit';
import { EnvironmentConfig } from '../runtime/core/types';

export type Argv = readonly string[];

/** Every command of one build, as argument vectors; an empty list means the phase is skipped. */
export interface CommandPlan {
  readonly install: readonly Argv[];
  readonly test: readonly Argv[];
  readonly build: readonly Argv[];
  readonly deploy: readonly Argv[];
  readonly remove: readonly Argv[];
  /** CDK: the cloud assembly `cdk synth` writes, checked for Docker assets before deploying. */
  readonly cdkOut?: string;
  /** Why the test phase is skipped (`test` is empty), for its log line. */
  readonly testSkipped?: string;
  /** What save-artifact keeps after a deploy, so a rollback can deploy it again without building. */
  readonly artifact: ArtifactPlan;
  /** Where the deploy leaves its stack outputs, relative to the workspace (read by a `stackOutput` health check). */
  readonly outputs: string;
}

/**
 * Paths (relative to the checkout) a deploy of this plan needs and nothing else: the deploy
 * command run in a directory holding only them deploys the same thing. Or why there are none.
 */
export type ArtifactPlan = { readonly paths: readonly string[] } | { readonly skip: string };

/** Where Serverless `package` and `sam package` write what their deploy then uploads. */
export const PACKAGE_DIR = '.trellis/package';
export const PACKAGED_TEMPLATE = '.trellis/packaged.yaml';

/** The file `cdk deploy --outputs-file` writes, when a health check reads a stack output. */
export const CDK_OUTPUTS_FILE = '.trellis/cdk-outputs.json';
/** What SST v3 writes after a deploy: `{ name: value }` of what `run()` returned. */
export const SST_OUTPUTS_FILE = '.sst/outputs.json';
/** Other frameworks and custom commands: the app's deploy writes `{ name: value }` here itself. */
export const APP_OUTPUTS_FILE = '.trellis/outputs.json';

const INSTALL: Record<PackageManager, Argv> = {
  npm: ['npm', 'ci'],
  pnpm: ['pnpm', 'install', '--frozen-lockfile'],
  yarn: ['yarn', 'install', '--frozen-lockfile'],
};

/** The commands for `project` of `application`, deploying to `stage`. Configured commands win. */
export function planCommands(project: Project, env: EnvironmentConfig, stage: string, application: string): CommandPlan {
  const configured = env.framework;
  const { kind } = project.framework;
  const ours = (argv: Argv | undefined) => (argv ? [argv] : []);

  const install = configured?.install ?? (!project.hasPackageJson ? undefined
    : project.packageManager === 'npm' && !project.lockfile ? ['npm', 'install'] : INSTALL[project.packageManager]);

  // CDK synthesizes once in the build phase (to check for Docker assets), then deploys that assembly;
  // Serverless and SAM package in the build phase and deploy the package: what a rollback redeploys.
  const ownBuild = !configured?.build;
  const cdkSynth = kind === 'cdk' && ownBuild;
  const packaged = (kind === 'serverless' || kind === 'sam') && ownBuild;
  const sam = samArguments(project, application, stage);
  const frameworkBuild: Record<string, readonly Argv[]> = {
    cdk: [['cdk', 'synth', '-c', `stage=${stage}`, '--quiet']],
    serverless: [['serverless', 'package', '--stage', stage, '--package', PACKAGE_DIR]],
    sam: [
      ['sam', 'build', ...sam.config],
      ['sam', 'package', ...sam.config, '--output-template-file', PACKAGED_TEMPLATE, '--resolve-s3'],
    ],
  };
  const build = configured?.build ? [configured.build] : frameworkBuild[kind] ?? [];

  // Only a health check on a stack output asks CDK for the outputs file; other deploys are unchanged.
  const cdkOutputs = env.healthCheck?.stackOutput !== undefined;
  const frameworkDeploy: Record<string, Argv> = {
    sst: ['sst', 'deploy', '--stage', stage],
    cdk: ['cdk', 'deploy', '--all', '--require-approval', 'never', '-c', `stage=${stage}`,
      ...(cdkSynth ? ['--app', project.framework.cdkOut ?? 'cdk.out'] : []),
      ...(cdkOutputs ? ['--outputs-file', CDK_OUTPUTS_FILE] : [])],
    serverless: ['serverless', 'deploy', '--stage', stage, ...(packaged ? ['--package', PACKAGE_DIR] : [])],
    sam: ['sam', 'deploy', ...(packaged ? ['--template-file', PACKAGED_TEMPLATE] : []),
      ...sam.config, ...sam.stack, ...sam.deployDefaults, '--no-confirm-changeset', '--no-fail-on-empty-changeset'],
  };
  const frameworkRemove: Record<string, Argv> = {
    sst: ['sst', 'remove', '--stage', stage],
    // From the assembly the build synthesized, whose stacks are this environment's (cdk-stacks.ts).
    cdk: ['cdk', 'destroy', '--all', '--force', '-c', `stage=${stage}`, ...(cdkSynth ? ['--app', project.framework.cdkOut ?? 'cdk.out'] : [])],
    serverless: ['serverless', 'remove', '--stage', stage],
    sam: ['sam', 'delete', ...sam.config, ...sam.stack, '--no-prompts'],
  };
  const deploy = configured?.deploy ?? frameworkDeploy[kind];
  const remove = configured?.remove ?? frameworkRemove[kind];
  if (!deploy || !remove) {
    throw new BuildError(`the ${kind} framework needs configured deploy and remove commands`, BUILDER_EXIT.invalid);
  }

  const tests = planTests(project, env);
  return {
    install: ours(install),
    test: tests.argv ? [tests.argv] : [],
    ...tests.skipped && { testSkipped: tests.skipped },
    build,
    deploy: [deploy],
    remove: [remove],
    cdkOut: cdkSynth ? project.framework.cdkOut ?? 'cdk.out' : undefined,
    artifact: planArtifact(project, configured),
    outputs: configured?.deploy ? APP_OUTPUTS_FILE : kind === 'cdk' ? CDK_OUTPUTS_FILE : kind === 'sst' ? SST_OUTPUTS_FILE : APP_OUTPUTS_FILE,
  };
}

/**
 * Which samconfig section SAM's commands read, and what the command line adds. The stage's own
 * section when samconfig has one (`--config-env <stage>`: all its settings, its stack name);
 * otherwise `[default]` with Trellis's stack name `<application>-<stage>`, so environments never
 * share a stack; without a samconfig also where to upload (`--resolve-s3`) and the capabilities
 * a template with functions (and their roles) or nested applications needs.
 */
function samArguments(project: Project, application: string, stage: string): { config: Argv; stack: Argv; deployDefaults: Argv } {
  const { configFile, samConfigEnvironments = [] } = project.framework;
  if (configFile && samConfigEnvironments.includes(stage)) return { config: ['--config-env', stage], stack: [], deployDefaults: [] };
  const stack = ['--stack-name', `${application}-${stage}`];
  if (configFile) return { config: ['--config-env', 'default'], stack, deployDefaults: [] };
  return { config: [], stack, deployDefaults: ['--resolve-s3', '--capabilities', 'CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND'] };
}

/**
 * What an environment's own commands say about artifacts: the paths their deploy command
 * deploys from, or why there is none (own commands without artifact paths). Undefined when the
 * framework's default build and deploy run, which store their own artifact. Decides both what a
 * deploy stores and whether a rollback may use what is stored (the configuration may have
 * changed in between).
 */
export function declaredArtifact(configured: EnvironmentConfig['framework']): { readonly paths: readonly string[] } | { readonly none: string } | undefined {
  if (!configured) return undefined;
  if (configured.deploy && configured.artifact) return { paths: configured.artifact };
  if (configured.kind === 'custom') return { none: 'custom commands declare no artifact paths' };
  if (configured.build || configured.deploy) return { none: 'configured build or deploy commands declare no artifact paths' };
  return undefined;
}

function planArtifact(project: Project, configured: EnvironmentConfig['framework']): ArtifactPlan {
  const { kind, cdkOut, configFile } = project.framework;
  const declared = declaredArtifact(configured);
  if (declared) return 'paths' in declared ? { paths: [...declared.paths] } : { skip: `${declared.none}: a rollback rebuilds this commit` };
  if (kind === 'sst') return { skip: 'SST deploys only from source (sst deploy builds): a rollback rebuilds this commit' };
  if (kind === 'cdk') return { paths: [cdkOut ?? 'cdk.out'] };
  // SAM without a samconfig: the packaged template is all its deploy reads.
  if (kind === 'sam') return { paths: configFile ? [PACKAGED_TEMPLATE, configFile] : [PACKAGED_TEMPLATE] };
  if (!configFile) return { skip: `no ${kind} configuration file found: a rollback rebuilds this commit` };
  if (kind === 'serverless' && !/\.ya?ml$/.test(configFile)) {
    return { skip: `${configFile} needs the app's node_modules to load: a rollback rebuilds this commit` };
  }
  return { paths: [configFile, PACKAGE_DIR] };
}

/**
 * The test phase: the configured command when there is one (it runs, and a missing script
 * fails: the tests were asked for); otherwise ("auto", an empty command) the package's `test`
 * script when it has one, else nothing, with what to set.
 */
function planTests(project: Project, env: EnvironmentConfig): { readonly argv?: Argv; readonly skipped?: string } {
  if (!env.runTests) return { skipped: 'runTests is off for this environment' };
  if (env.testCommand.length > 0) return { argv: testCommand(env.testCommand, project.packageManager) };
  if (project.hasTestScript) return { argv: [project.packageManager, 'run', 'test'] };
  const where = project.hasPackageJson ? 'package.json has no test script' : 'there is no package.json, so no test script';
  return { skipped: `${where}: nothing to test. Set the environment's testCommand to run tests, or runTests: false to say there are none` };
}

/** `npm run <script>` (TestCommand.npmScript) runs with the detected package manager. */
export function testCommand(argv: Argv, packageManager: PackageManager): Argv {
  if (argv[0] === 'npm' && argv[1] === 'run' && argv.length > 2) return [packageManager, ...argv.slice(1)];
  return argv;
}

const FRAMEWORK_BINARIES = new Set(['sst', 'cdk', 'serverless', 'sam']);

/**
 * A framework CLI runs as the app's own installed copy when there is one, else from PATH
 * (never `npx`, which would download it). Looked up when the command runs, after install,
 * without following the link npm puts there (the app's uid runs it; the builder only looks).
 */
export function resolveCommand(dirs: string | readonly string[], argv: Argv): Argv {
  if (!FRAMEWORK_BINARIES.has(argv[0])) return argv;
  const local = join('node_modules', '.bin', argv[0]);
  // The app's folder first, then the workspace root the install ran in.
  const dir = (typeof dirs === 'string' ? [dirs] : dirs).find(candidate => workspaceEntry(candidate, local));
  return dir ? [join(dir, local), ...argv.slice(1)] : argv;
}
