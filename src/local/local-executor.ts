import { join } from 'path';
import { FileSecretSource } from './file-secret-source';
import { LocalDynamoDb } from './local-build-settings';
import { LocalCommitSource } from './local-commit-source';
import { LocalLaunchQueue } from './local-queue';
import { BuilderCommand, LocalTaskRunner, LocalTaskRunnerProps } from './local-task-runner';
import { ProcessRecords } from './process-records';
import { GitHubConnection } from '../runtime/core/github';
import { Clock, Store } from '../runtime/core/ports';
import { LogRecord } from '../runtime/core/types';
import { finalizeTask } from '../runtime/deployments/finalize';
import { BuildDependencies } from '../runtime/deployments/launch';
import { applicationRepositoryToken } from '../runtime/github/repository-token';

export interface LocalExecutorOptions {
  readonly store: Store;
  /** The table's name in DynamoDB Local (the builder reads configuration from it). */
  readonly tableName: string;
  /** DynamoDB Local's endpoint and this installation's key id, for the builder. */
  readonly dynamodb: LocalDynamoDb;
  /** Local mode's data directory: `secrets.json` and `builds/` (builder output that is not a log record) go here. */
  readonly dataDir: string;
  /** Application name → its local git repository (a path or a file:// URL). */
  readonly repositories: Readonly<Record<string, string>>;
  /** The live path: a batch of a build's records, in seq order (the local server's ingestLogs). */
  readonly onRecords: (deploymentId: string, records: readonly LogRecord[]) => Promise<unknown>;
  readonly log: (entry: Record<string, unknown>) => void;
  /** @default 'local' */
  readonly installation?: string;
  /** @default node on the bundled assets/local/builder.js */
  readonly builder?: BuilderCommand;
  readonly clock?: Clock;
  /** Where running builds are recorded for the next start (LocalTaskRunnerProps.processRecords). @default - not recorded */
  readonly processRecords?: ProcessRecords;
  /**
   * Local mode's GitHub (the stand-in), read when a build starts: with the App installed on an
   * application's repository, its builds clone from there with an installation token.
   * @default - none: builds clone from `repositories`
   */
  readonly github?: () => GitHubConnection | undefined;
  /**
   * `owner/repo` → local path of the repositories local mode's GitHub hosts: where "deploy the
   * newest commit" looks for an application made on the dashboard, which has no configured path.
   * @default - only the configured applications' repositories
   */
  readonly hostedRepositories?: () => Readonly<Record<string, string>>;
  /** The runner's timings and batch sizes (LocalTaskRunnerProps). */
  readonly tuning?: Pick<LocalTaskRunnerProps, 'stopGraceMs' | 'flushMs' | 'maxBatch' | 'maxPending'>;
}

export interface LocalExecutor {
  readonly queue: LocalLaunchQueue;
  readonly runner: LocalTaskRunner;
  readonly secrets: FileSecretSource;
  readonly commits: LocalCommitSource;
  /** What launch, finalize and cancel need (cancelDeployment(id, actor, executor.build)). */
  readonly build: BuildDependencies;
  /** Take no more launches, stop every build and wait until each one's end is recorded. */
  close(): Promise<void>;
}

/**
 * The build server on one machine, over the same core functions as in AWS: the queue calls
 * the launcher's `launchQueued`, builds are child processes, and a build's exit goes to the
 * finalizer's `finalizeTask` with the same runner and store (which launches the next).
 */
export function createLocalExecutor(options: LocalExecutorOptions): LocalExecutor {
  const { store, log } = options;
  const secrets = new FileSecretSource(join(options.dataDir, 'secrets.json'));
  let build: BuildDependencies | undefined;
  const runner = new LocalTaskRunner({
    tableName: options.tableName,
    dynamodb: options.dynamodb,
    secrets,
    cacheDir: join(options.dataDir, 'cache'),
    artifactDir: join(options.dataDir, 'artifacts'),
    installation: options.installation,
    gitUrls: options.repositories,
    outputDir: join(options.dataDir, 'builds'),
    builder: options.builder,
    processRecords: options.processRecords,
    repositoryAccess: async request => {
      const github = options.github?.();
      const minted = await applicationRepositoryToken(request.application, { store, github, log });
      if (!('refused' in minted)) {
        // Where GitHub serves a repository to git: the web URL's /<owner>/<repo>.git, the stand-in's here.
        return { token: minted.token.token, gitUrl: `${github!.endpoints.webUrl}/${minted.repository}.git` };
      }
      if (Object.prototype.hasOwnProperty.call(options.repositories, request.application)) {
        if (github) log({ message: 'build clones without an installation token', deployment: request.deploymentId, reason: minted.refused });
        return undefined;
      }
      // An application made on the dashboard has no configured path: the one the stand-in hosts its repository at.
      const repository = (await store.config.getApplication(request.application))?.repository;
      const hosted = repository === undefined ? undefined : options.hostedRepositories?.()[repository];
      return hosted === undefined ? undefined : { gitUrl: hosted };
    },
    ...options.tuning,
    onRecords: options.onRecords,
    onExit: async event => {
      const finalized = await finalizeTask(event, build!);
      log({ message: 'task stopped', task: event.taskId, deployment: event.deploymentId, ...finalized });
    },
    log,
  });
  // One process: a launch is tried again only after its previous try threw, so a deployment
  // left running without a task is stranded at once (no other launch of it can be under way).
  const launchDeps = { store, runner, clock: options.clock, log, strandedAfterSeconds: 0 };
  const queue = new LocalLaunchQueue(launchDeps);
  // The finalizer sends automatic rollbacks through the same queue as pushes and the API.
  build = { ...launchDeps, queue };
  // An `owner/repo` lives where the first application of that repository with a local path is.
  const local = (app: string) => Object.prototype.hasOwnProperty.call(options.repositories, app);
  const commits = new LocalCommitSource(async repository => {
    const apps = await store.config.listApplications();
    const app = apps.find(candidate => candidate.repository === repository && local(candidate.name));
    return app ? options.repositories[app.name] : options.hostedRepositories?.()[repository];
  });
  return {
    queue,
    runner,
    secrets,
    commits,
    build,
    close: async () => {
      await queue.close();
      await runner.close();
    },
  };
}
