import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { BUILD_SETTINGS } from '../../src/contract/build-environment';
import { GitHubStandIn, startGitHubStandIn } from '../../src/local/github-stand-in/stand-in';
import { parseLocalBuildInput } from '../../src/local/local-build-settings';
import { LocalExecutor, createLocalExecutor } from '../../src/local/local-executor';
import { Store, TaskRequest } from '../../src/runtime/core';
import { GitHubConnection } from '../../src/runtime/core/github';
import { gitHubConnection } from '../../src/runtime/github/github-connection';
import { appConfig, depId, envConfig } from '../store/fixtures';
import { gitRepo } from '../support/git-repo';
import { freshStore } from '../support/test-table';

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

  /** A stand-in builder that writes its environment and stdin to `file`. */
  const recorder = (file: string) => `
let input = '';
process.stdin.on('data', chunk => { input += chunk; });
process.stdin.on('end', () => require('fs').writeFileSync(${JSON.stringify(file)}, JSON.stringify({ env: process.env, input })));`;

  beforeAll(async () => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'trellis-local-token-')));
    standIn = await startGitHubStandIn();
    for (const name of ['alpha', 'gamma']) {
      gitRepo(join(root, name), { 'README.md': `${name}\n` });
      standIn.addRepository(`acme/${name}`, join(root, name));
    }
    const credentials = standIn.createApp({ name: 'trellis-local-token-test', default_permissions: { contents: 'read', metadata: 'read' } });
    standIn.install(['acme/alpha']);
    ({ store } = await freshStore());
    await store.config.syncApplications([appConfig('alpha', [envConfig('dev')], 'acme/alpha'), appConfig('gamma', [envConfig('dev')], 'acme/gamma')]);
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
      tableName: 'table-1',
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
