import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { bundleLocalBuilder } from './local-fixtures';
import { BUILD_SETTINGS } from '../../src/contract/build-environment';
import { GitHubStandIn, startGitHubStandIn } from '../../src/local/github-stand-in/stand-in';
import { parseLocalBuildInput } from '../../src/local/local-build-settings';
import { LocalExecutor, createLocalExecutor } from '../../src/local/local-executor';
import { DeploymentScheduler, Store, TaskRequest } from '../../src/runtime/core';
import { GitHubConnection } from '../../src/runtime/core/github';
import { gitHubConnection } from '../../src/runtime/github/github-connection';
import { createDynamoStore } from '../../src/runtime/store/dynamo-store';
import { appConfig, depId, envConfig } from '../store/fixtures';
import { eventually } from '../support/eventually';
import { gitRepo } from '../support/git-repo';
import { dynamoEndpoint, freshTable } from '../support/test-table';

/**
 * Local mode mints a build's installation token itself (the runner is trusted and starts the
 * builder): with the App installed on the application's repository the builder gets the token
 * on stdin, with its secrets, and the stand-in's URL of the repository to clone; never in its
 * environment. Without it, the build clones from the local path as before.
 */
describe('local builds with the GitHub App', () => {
  let root: string;
  let standIn: GitHubStandIn;
  let store: Store;
  let github: GitHubConnection | undefined;
  let executor: LocalExecutor;
  let logs: Array<Record<string, unknown>>;
  let counter = 700;
  let table: string;
  let alphaCommit: string;
  /** The log lines of the real builder's build. */
  const lines: string[] = [];

  /** A stand-in builder that writes its environment and stdin to `file`. */
  const recorder = (file: string) => `
let input = '';
process.stdin.on('data', chunk => { input += chunk; });
process.stdin.on('end', () => require('fs').writeFileSync(${JSON.stringify(file)}, JSON.stringify({ env: process.env, input })));`;

  beforeAll(async () => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'trellis-local-token-')));
    standIn = await startGitHubStandIn();
    const writeEnv = `require('fs').writeFileSync(${JSON.stringify(join(root, 'app-env.json'))}, JSON.stringify(process.env))`;
    [alphaCommit] = gitRepo(join(root, 'alpha'), { 'README.md': 'alpha\n', 'deploy.js': writeEnv });
    gitRepo(join(root, 'gamma'), { 'README.md': 'gamma\n' });
    for (const name of ['alpha', 'gamma']) standIn.addRepository(`acme/${name}`, join(root, name));
    const credentials = standIn.createApp({ name: 'trellis-local-token-test', default_permissions: { contents: 'read', metadata: 'read' } });
    standIn.install(['acme/alpha']);
    const context = await freshTable('local-token');
    table = context.tableName;
    store = createDynamoStore(context);
    await store.config.syncApplications([
      appConfig('alpha', [envConfig('dev', { framework: { kind: 'custom', deploy: ['node', 'deploy.js'], remove: ['node', '-e', '0'] } })], 'acme/alpha'),
      appConfig('gamma', [envConfig('dev')], 'acme/gamma'),
    ]);
    github = gitHubConnection({ endpoints: standIn.endpoints, secrets: { get: async () => JSON.stringify(credentials) }, credentialsSecret: 'app', log: () => undefined });
  });

  afterAll(async () => {
    await standIn.close();
    rmSync(root, { recursive: true, force: true });
  });

  beforeEach(() => {
    logs = [];
    executor = createLocalExecutor({
      store,
      tableName: table,
      dynamodb: { endpoint: 'http://127.0.0.1:1', accessKeyId: 'Key1' },
      dataDir: join(root, 'data'),
      repositories: { alpha: join(root, 'alpha'), gamma: join(root, 'gamma') },
      builder: { args: ['-e', recorder(join(root, 'seen.json'))] },
      onRecords: async () => undefined,
      github: () => github,
      log: entry => logs.push(entry),
    });
  });

  afterEach(() => executor.close());

  async function start(application: string): Promise<{ env: Record<string, string>; input: ReturnType<typeof parseLocalBuildInput>; raw: string }> {
    const request: TaskRequest = {
      deploymentId: depId(++counter), action: 'deploy', application, environment: 'dev', commit: 'c'.repeat(40), ingestToken: `ingest-${counter}`,
    };
    await executor.runner.run(request);
    await executor.runner.idle();
    const seen = JSON.parse(readFileSync(join(root, 'seen.json'), 'utf8'));
    return { env: seen.env, input: parseLocalBuildInput(seen.input), raw: seen.input };
  }

  test("the App installed on the repository: a token for exactly it on stdin, and the stand-in's URL to clone", async () => {
    const before = standIn.tokensIssued().length;
    const { env, input } = await start('alpha');
    expect(input.repositoryToken).toEqual(expect.any(String));
    expect(input.settings[BUILD_SETTINGS.gitUrl]).toBe(`${standIn.url}/acme/alpha.git`);
    expect(standIn.tokensIssued().slice(before)).toEqual([{ repositories: ['acme/alpha'], permissions: { contents: 'read' } }]);
    expect(JSON.stringify(env)).not.toContain(input.repositoryToken);
    expect(JSON.stringify(logs)).not.toContain(input.repositoryToken);
  });

  test('not installed on the repository: no token, cloned from its local path as before', async () => {
    const { input, raw } = await start('gamma');
    expect(raw).not.toContain('repositoryToken');
    expect(input.settings[BUILD_SETTINGS.gitUrl]).toBe(join(root, 'gamma'));
    expect(logs).toContainEqual(expect.objectContaining({ message: 'build clones without an installation token', reason: 'the GitHub App is not installed on acme/gamma' }));
  });

  test('the real local builder clones from the stand-in over HTTP with it; the app never sees it', async () => {
    const envFile = join(root, 'app-env.json');
    const real = createLocalExecutor({
      store,
      tableName: table,
      dynamodb: { endpoint: dynamoEndpoint(), accessKeyId: 'local' },
      dataDir: join(root, 'data-real'),
      // A path that is not the repository: the clone must come from the stand-in.
      repositories: { alpha: join(root, 'nowhere') },
      builder: { args: [bundleLocalBuilder(join(root, 'builder.js'))] },
      onRecords: async (_deploymentId, batch) => { lines.push(...batch.map(record => record.text)); },
      github: () => github,
      log: entry => logs.push(entry),
    });
    try {
      const deployment = await new DeploymentScheduler(store).create({
        application: 'alpha', environment: 'dev', action: 'deploy', commit: alphaCommit, branch: 'main', trigger: { kind: 'manual', actor: 'ada' },
      });
      await real.queue.send({ deploymentId: deployment.id });
      const ended = await eventually('the build to end', async () => {
        const current = await store.deployments.get(deployment.id);
        return current && ['succeeded', 'failed'].includes(current.status) && current;
      }, 60_000);
      expect({ status: ended.status, reason: ended.reason }).toEqual({ status: 'succeeded', reason: undefined });
      expect(lines.join('\n')).toContain(`${alphaCommit.slice(0, 12)} from ${standIn.url}/acme/alpha.git`);
      expect(lines).toContain('cloning with an installation token of the GitHub App for this repository only (contents: read)');
      // The connection's App keeps the token it minted for alpha's builds: this is the one the build had.
      const token = (await (await github!.app())!.repositoryToken('acme/alpha')).token;
      const scopes = new Set(standIn.tokensIssued().map(issued => JSON.stringify(issued)));
      expect([...scopes]).toEqual([JSON.stringify({ repositories: ['acme/alpha'], permissions: { contents: 'read' } })]);
      const appEnv = readFileSync(envFile, 'utf8');
      for (const text of [appEnv, lines.join('\n'), JSON.stringify(logs)]) {
        expect(text).not.toContain(token);
        expect(text).not.toContain(Buffer.from(`x-access-token:${token}`).toString('base64'));
      }
      expect(Object.keys(JSON.parse(appEnv)).filter(name => name.startsWith('GIT_CONFIG'))).toEqual([]);
    } finally {
      await real.close();
    }
  });

  test('no App (no GitHub connection): as before', async () => {
    const kept = github;
    github = undefined;
    try {
      const { input } = await start('alpha');
      expect(input.repositoryToken).toBeUndefined();
      expect(input.settings[BUILD_SETTINGS.gitUrl]).toBe(join(root, 'alpha'));
    } finally {
      github = kept;
    }
  });
});
