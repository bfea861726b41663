import { execFileSync } from 'child_process';
import { cpSync, createWriteStream, existsSync } from 'fs';
import { join, relative, resolve as resolvePath, sep } from 'path';
import { ListTablesCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DashboardServer, startDashboardServer } from './dashboard-server';
import { DEFAULT_DATA_DIR, DataDir, ServerInfo } from './data-dir';
import { observeDeployments } from './deployment-events';
import { createLocalTable, DynamoDbLocal } from './dynamodb-local';
import { superviseDynamoDbLocal } from './dynamodb-supervisor';
import { LocalGitHubReports, localGitHubReports } from './github-reports';
import { GitHubStandIn, startGitHubStandIn } from './github-stand-in/stand-in';
import { gitTopLevelProblem, hostLocalRepository, hostRepositories } from './hosted-repositories';
import { resumeInterrupted } from './interrupted';
import { clearLeftovers } from './leftovers';
import { LocalConfig, loadLocalConfig, parseLocalConfig } from './local-config';
import { LocalExecutor, createLocalExecutor } from './local-executor';
import { LOCAL_GITHUB_USER, localGitHubSignIn } from './local-github-sign-in';
import { LocalIdentity } from './local-identity';
import { LocalNotifier, localNotifier } from './local-notifier';
import { observePreviews } from './preview-events';
import { processStartTime } from './process-records';
import { deploymentLine, startBanner } from './terminal-lines';
import { secretNames } from '../contract/secret-names';
import { GitHubConnection } from '../runtime/core/github';
import { gitHubConnection } from '../runtime/github/github-connection';
import { createDynamoStore } from '../runtime/store/dynamo-store';
import { tableContext } from '../runtime/store/table-context';
import { webhookSecrets } from '../runtime/webhook/webhook-secrets';

export const DEFAULT_PORT = 4100;
const TABLE_NAME = 'trellis-local';
const INSTALLATION = 'local';
/**
 * How long before DynamoDB Local was seen to stop a write it acknowledged may still be lost
 * (measured: a log write acknowledged within about half a second of a SIGKILL was gone after the
 * restart, in 2 of 14 runs under load); generous, since sending again costs nothing.
 */
const LOST_WRITES_MS = 10_000;
/** On close, notifications still being delivered get this long (a receiver being retried is not waited for). */
const NOTIFICATIONS_CLOSE_MS = 3_000;
export const SAMPLE_APP = 'sample-app';
export const ADMIN_USER = 'admin';

/** The files local mode runs from: the package's assets/ (or the repo's, after `projen bundle`). */
export interface LocalAssets {
  /** The built dashboard (assets/dashboard). */
  readonly dashboard: string;
  /** The bundled local builder (assets/local/builder.js). */
  readonly builder: string;
  /** The sample application seeded when no config file is given (examples/sample-app). */
  readonly sampleApp: string;
}

export interface LocalModeOptions {
  readonly dataDir: string;
  /** A JSON config file (see loadLocalConfig). @default the sample app with dev, staging, production */
  readonly configFile?: string;
  /** @default 4100; 0 picks a free port */
  readonly port?: number;
  /** Start from an empty data directory. @default false */
  readonly reset?: boolean;
  readonly assets: LocalAssets;
  /** How the user runs `trellis`, for the hints printed. @default 'npx trellis' */
  readonly command?: string;
  /** Where the lines a person reads go (the terminal). */
  readonly print: (line: string) => void;
  /**
   * Stop starting (a Ctrl-C while it starts): what was started so far is stopped, and
   * startLocalMode rejects with the signal's reason.
   */
  readonly signal?: AbortSignal;
}

export interface LocalMode {
  readonly url: string;
  /** Local mode's GitHub stand-in (web pages; its REST API is under /api/v3). */
  readonly githubUrl: string;
  readonly webhookUrl: string;
  readonly webSocketUrl: string;
  readonly data: DataDir;
  /**
   * Settles only if local mode cannot go on (DynamoDB Local keeps dying): the caller should
   * close() and exit; the next start fails what was left unfinished (failInterrupted).
   */
  readonly failed: Promise<Error>;
  /** Stop every build (recorded as failed), then the server and DynamoDB Local. */
  close(): Promise<void>;
}

/**
 * The whole of Trellis on one machine: DynamoDB Local with its files in the data directory,
 * the configuration written into it as the construct's custom resource would, the local
 * executor (child-process builds) and one server on 127.0.0.1 for the dashboard, the control
 * API, the webhook and live logs. Every status change is printed as a line.
 */
export async function startLocalMode(options: LocalModeOptions): Promise<LocalMode> {
  const data = new DataDir(options.dataDir);
  const { signal } = options;
  for (const stopped of await clearLeftovers(data)) options.print(`Stopped ${stopped}.`);
  signal?.throwIfAborted();
  data.prepare(options.reset === true);
  // This run uses the directory from now on; what it starts is recorded as it starts it.
  data.writeRunRecord();
  const processes = data.processes;
  const serverLog = createWriteStream(data.serverLog, { flags: 'a', mode: 0o600 });
  const log = (entry: Record<string, unknown>) => serverLog.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
  // `{serverUrl}` is known once the server listens: read (and checked) now with the URL it will
  // have on the port asked for, and again after listening if that was another (port 0).
  const readConfig = (serverUrl: string) => (options.configFile
    ? loadLocalConfig(options.configFile, data.root, serverUrl)
    : sampleConfig(options.assets.sampleApp, data, serverUrl));
  const expectedUrl = `http://127.0.0.1:${options.port ?? DEFAULT_PORT}`;
  let config = readConfig(expectedUrl);
  checkRepositories(config);

  let giveUp: (error: Error) => void = () => undefined;
  const failed = new Promise<Error>(resolve => { giveUp = resolve; });
  let info: ServerInfo | undefined;
  let dynamo: DynamoDbLocal | undefined;
  let executor: LocalExecutor | undefined;
  let server: DashboardServer | undefined;
  let github: GitHubStandIn | undefined;
  let gitHubReports: LocalGitHubReports | undefined;
  let notifier: LocalNotifier | undefined;
  const stopAll = async () => {
    await executor?.close();
    await server?.close();
    // The last changes (builds stopped as failed) reach the stand-in before it stops, and their lines the log before it closes.
    await gitHubReports?.settled();
    await notifier?.settled(NOTIFICATIONS_CLOSE_MS);
    await github?.close();
    await dynamo?.stop();
    processes.remove('dynamodb');
    data.removeServerInfo();
    data.removeRunRecord();
    await new Promise(resolve => serverLog.end(resolve));
  };
  try {
    dynamo = await superviseDynamoDbLocal({
      dbPath: data.dynamodb,
      accessKeyId: data.dynamodbAccessKeyId(),
      print: options.print,
      log,
      // Recorded before it is ready: a run killed while it starts leaves the next start its pid.
      onSpawned: pid => {
        const startTime = processStartTime(pid);
        if (startTime !== undefined) processes.add('dynamodb', { kind: 'dynamodb', pid, startTime });
      },
      onRestarted: (pid, stoppedAt) => {
        // `trellis push` reads the pid from server.json.
        if (info) data.writeServerInfo(info = { ...info, dynamodbPid: pid });
        // DynamoDB Local may lose what it acknowledged just before it was killed: the builds' recent log records go again.
        executor?.runner.redeliverSince(stoppedAt - LOST_WRITES_MS);
      },
      onGiveUp: error => giveUp(error),
      signal,
    });
    signal?.throwIfAborted();
    await ensureTable(dynamo);
    signal?.throwIfAborted();
    let dashboardUrl = '';
    // Each status change is printed, and reported to GitHub (the stand-in) once it runs, without waiting for it;
    // each preview made or removed is told to the notifier (what the table's stream does in AWS).
    const store = observePreviews(observeDeployments(
      createDynamoStore(tableContext(TABLE_NAME, dynamo.clientConfig)),
      deployment => {
        options.print(deploymentLine(deployment, dashboardUrl));
        gitHubReports?.report(deployment);
        void notifier?.notifyDeployment(deployment);
      },
    ), () => notifier);
    // Notifications: numbered and sent at each status change, in the background.
    notifier = localNotifier({
      store, installation: INSTALLATION, dashboardUrl: () => dashboardUrl || expectedUrl, secrets: () => executor?.secrets, log,
    });
    // A webhook's key and a Slack URL stay in this process: the table gets their names.
    await store.config.syncApplications(notifier.withoutSecrets(config.applications));
    const resumed = await resumeInterrupted(store);
    signal?.throwIfAborted();

    let gitHub: GitHubConnection | undefined;
    const running = executor = createLocalExecutor({
      store,
      tableName: TABLE_NAME,
      dynamodb: { endpoint: dynamo.endpoint, accessKeyId: data.dynamodbAccessKeyId() },
      dataDir: data.root,
      installation: INSTALLATION,
      repositories: config.repositories,
      builder: { args: [options.assets.builder] },
      onRecords: (deploymentId, records) => server!.ingest(deploymentId, records),
      processRecords: processes,
      // Builds of a repository the App is installed on clone from the stand-in with an installation token.
      github: () => gitHub,
      hostedRepositories: () => (github ? hostedPaths(github) : {}),
      log,
    });
    // Local mode's GitHub: the App, its installations, sign-in and statuses without github.com, on the port after the dashboard's.
    const gitHubPort = options.port === 0 ? 0 : (options.port ?? DEFAULT_PORT) + 1;
    const standIn = github = await startGitHubStandIn({ dataDir: join(data.root, 'github'), port: gitHubPort, log }).catch(error => {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new Error(`port ${gitHubPort} (the GitHub stand-in's, the dashboard's + 1) is in use: stop what uses it, or pass another --port`);
      }
      throw error;
    });
    hostRepositories(standIn, data, config);
    standIn.addUser(LOCAL_GITHUB_USER);
    gitHub = gitHubConnection({
      endpoints: standIn.endpoints, secrets: running.secrets, credentialsSecret: secretNames.githubApp(INSTALLATION), log,
    });
    gitHubReports = localGitHubReports({ github: gitHub, store, dashboardUrl: () => dashboardUrl || expectedUrl, installation: INSTALLATION, log });
    const password = data.adminPassword();
    server = await startDashboardServer({
      store,
      identity: new LocalIdentity([{ name: ADMIN_USER, password, groups: ['admin'] }], { privateKeyPem: data.signingKeyPem() }),
      api: {
        queue: running.queue,
        commits: running.commits,
        secrets: running.secrets,
        runner: running.runner,
        installation: INSTALLATION,
        github: gitHub,
        // An absolute path as a new application's repository: hosted by the stand-in, and pushes to it are found by `trellis push`.
        localRepositories: {
          host: async path => {
            const fullName = hostLocalRepository(standIn, path);
            if (info) data.writeServerInfo(info = { ...info, github: { url: standIn.url, repositories: hostedPaths(standIn) } });
            return fullName;
          },
        },
        // Sign in with GitHub (the stand-in) beside the password, once the setup page made the App.
        githubSignIn: localGitHubSignIn(config, running.secrets, INSTALLATION, log),
      },
      // The installation's webhook secret (what `trellis push` signs with), and the GitHub App's once it exists.
      webhook: {
        secrets: webhookSecrets(async () => data.webhookSecret(), running.secrets, secretNames.githubAppWebhook(INSTALLATION)),
        queue: running.queue,
      },
      deployedApps: data.deployed,
      staticDir: options.assets.dashboard,
      port: options.port ?? DEFAULT_PORT,
      log,
    }).catch(error => {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new Error(`port ${options.port ?? DEFAULT_PORT} is in use (another \`trellis local\`?): stop it, or pass --port`);
      }
      throw error;
    });
    signal?.throwIfAborted();
    dashboardUrl = server.url;
    if (server.url !== expectedUrl) {
      config = readConfig(server.url);
      await store.config.syncApplications(notifier.withoutSecrets(config.applications));
    }
    signal?.throwIfAborted();
    const webhookUrl = `${server.url}/webhook`;
    data.writeServerInfo(info = {
      pid: process.pid,
      url: server.url,
      webhookUrl,
      webSocketUrl: server.webSocketUrl,
      dynamodbPid: dynamo.pid,
      applications: Object.fromEntries(config.applications.map(app => [app.name, {
        repository: app.repository,
        path: config.repositories[app.name],
      }])),
      github: { url: standIn.url, repositories: hostedPaths(standIn) },
    });
    options.print(startBanner({
      url: server.url,
      webhookUrl,
      webSocketUrl: server.webSocketUrl,
      user: ADMIN_USER,
      password,
      dataDir: data.root,
      applications: config.applications.map(app => app.name),
      command: options.command ?? 'npx trellis',
      customDataDir: resolvePath(options.dataDir) !== resolvePath(DEFAULT_DATA_DIR),
      githubUrl: standIn.url,
    }));
    // What waited when the last run was killed deploys now, without a new push.
    for (const id of resumed.requeue) {
      options.print(`Re-queued ${id}: it was waiting when the last run stopped.`);
      await running.queue.send({ deploymentId: id });
    }
    return { url: server.url, githubUrl: standIn.url, webhookUrl, webSocketUrl: server.webSocketUrl, data, failed, close: stopAll };
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}

/**
 * Copy the sample app to `repo` and commit it on main. Only its own node_modules are left out:
 * in a project that depends on trellis-cdk the sample itself lives under node_modules/.
 */
export function sampleRepository(sampleSource: string, repo: string): void {
  cpSync(sampleSource, repo, { recursive: true, filter: source => !relative(sampleSource, source).split(sep).includes('node_modules') });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe', env: { ...process.env, ...LOCAL_GIT_IDENTITY } });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'Sample app: price quotes');
}

/**
 * The sample app as a git repository of its own in the data directory (made once, then
 * kept: `trellis push` commits to it), with dev, staging and production deploying to a folder
 * (`<data dir>/deployed`, which the server serves on /apps/<stage>/); dev's deploys are
 * health-checked on GET /apps/dev/health.
 */
function sampleConfig(sampleSource: string, data: DataDir, serverUrl: string): LocalConfig {
  const repo = join(data.repos, SAMPLE_APP);
  if (!existsSync(join(repo, '.git'))) sampleRepository(sampleSource, repo);
  // What `npm run deploy` reads: stored after each healthy deploy, so a rollback skips clone, install and tests.
  const framework = { kind: 'custom', deploy: ['npm', 'run', 'deploy'], remove: ['npm', 'run', 'remove'], artifact: ['package.json', 'scripts', 'src'] };
  const variables = { SAMPLE_DEPLOY_DIR: '{dataDir}/deployed' };
  return parseLocalConfig({
    applications: [{
      name: SAMPLE_APP,
      repository: repo,
      environments: [
        { kind: 'development', framework, variables, healthCheck: { url: '{serverUrl}/apps/dev/health' } },
        { kind: 'staging', framework, variables },
        { kind: 'production', framework, variables },
      ],
    }],
  }, { configDir: data.root, dataDir: data.root, serverUrl });
}

/** Who commits when local mode writes to a repository and the machine has no git identity. */
export const LOCAL_GIT_IDENTITY = {
  GIT_AUTHOR_NAME: process.env.GIT_AUTHOR_NAME ?? 'Trellis Local',
  GIT_AUTHOR_EMAIL: process.env.GIT_AUTHOR_EMAIL ?? 'local@trellis.invalid',
  GIT_COMMITTER_NAME: process.env.GIT_COMMITTER_NAME ?? 'Trellis Local',
  GIT_COMMITTER_EMAIL: process.env.GIT_COMMITTER_EMAIL ?? 'local@trellis.invalid',
};

/** Each repository must be the top of a git work tree (not a folder inside another repository). */
function checkRepositories(config: LocalConfig): void {
  for (const [app, path] of Object.entries(config.repositories)) {
    const problem = gitTopLevelProblem(path);
    if (problem) throw new Error(`application ${app}: ${problem}`);
  }
}

/** `owner/repo` → local path of what the stand-in hosts. */
function hostedPaths(standIn: GitHubStandIn): Record<string, string> {
  return Object.fromEntries(standIn.repositories().map(hosted => [hosted.fullName, hosted.path]));
}

async function ensureTable(dynamo: DynamoDbLocal): Promise<void> {
  const client = new DynamoDBClient(dynamo.clientConfig);
  try {
    const { TableNames = [] } = await client.send(new ListTablesCommand({}));
    if (!TableNames.includes(TABLE_NAME)) await createLocalTable(dynamo.clientConfig, TABLE_NAME);
  } finally {
    client.destroy();
  }
}
