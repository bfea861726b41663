import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { GitHubStandIn, startGitHubStandIn } from '../../src/local/github-stand-in/stand-in';
import { NotFoundError, Store } from '../../src/runtime/core';
import { ingestTokenHash } from '../../src/runtime/core/ingest-token';
import { gitHubConnection } from '../../src/runtime/github/github-connection';
import { RepositoryTokenDeps, answerRepositoryTokenRequest } from '../../src/runtime/github/repository-token';
import { appConfig, depId, envConfig, queuedDeployment } from '../store/fixtures';
import { gitRepo } from '../support/git-repo';
import { freshStore } from '../support/test-table';

/**
 * The repository-token function's logic against DynamoDB Local and the GitHub stand-in: a
 * running deployment that proves itself with its ingest token gets an installation token for
 * exactly its application's repository, `contents: read`; anything else is refused without
 * detail and logged without a token.
 */
describe('repository tokens for builds', () => {
  const INGEST = 'ingest-token-of-the-running-deployment-0123456789';
  let dir: string;
  let standIn: GitHubStandIn;
  let store: Store;
  let logs: Array<Record<string, unknown>>;
  let deps: RepositoryTokenDeps;
  let counter = 900;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trellis-repository-token-'));
    standIn = await startGitHubStandIn();
    for (const name of ['alpha', 'beta', 'gamma']) {
      gitRepo(join(dir, name), { 'README.md': `${name}\n` });
      standIn.addRepository(`acme/${name}`, join(dir, name), { private: true });
    }
    const credentials = standIn.createApp({ name: 'trellis-token-test', default_permissions: { contents: 'read', metadata: 'read', statuses: 'write' } });
    standIn.install(['acme/alpha', 'acme/beta']);
    ({ store } = await freshStore());
    await store.config.syncApplications([
      appConfig('alpha', [envConfig('dev')], 'acme/alpha'),
      appConfig('beta', [envConfig('dev')], 'acme/beta'),
      appConfig('gamma', [envConfig('dev')], 'acme/gamma'),
    ]);
    logs = [];
    const github = gitHubConnection({
      endpoints: standIn.endpoints,
      secrets: { get: async () => JSON.stringify(credentials) },
      credentialsSecret: 'trellis/test/github-app',
      log: entry => logs.push(entry),
    });
    deps = { store, github, log: entry => logs.push(entry) };
  });

  afterAll(async () => {
    await standIn.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A deployment of `application`, running with its task and INGEST recorded (as the launcher leaves it), unless told otherwise. */
  async function deployment(application: string, options: { status?: 'running' | 'queued'; attached?: boolean } = {}): Promise<string> {
    const id = depId(++counter);
    await store.deployments.create(queuedDeployment(id, application, 'dev', { status: options.status ?? 'running' }));
    if (options.attached !== false) await store.deployments.attachTask(id, `task-${counter}`, ingestTokenHash(INGEST));
    return id;
  }

  test('a running deployment with its ingest token gets a token for exactly its repository, contents: read', async () => {
    const before = standIn.tokensIssued().length;
    const answer = await answerRepositoryTokenRequest({ deploymentId: await deployment('alpha'), ingestToken: INGEST }, deps);
    expect(answer).toEqual({ token: expect.any(String), expiresAt: expect.any(String) });
    expect(Date.parse((answer as { expiresAt: string }).expiresAt)).toBeGreaterThan(Date.now());
    expect(standIn.tokensIssued().slice(before)).toEqual([{ repositories: ['acme/alpha'], permissions: { contents: 'read' } }]);
    const other = await answerRepositoryTokenRequest({ deploymentId: await deployment('beta'), ingestToken: INGEST }, deps);
    expect(standIn.tokensIssued().slice(before)).toEqual([
      { repositories: ['acme/alpha'], permissions: { contents: 'read' } },
      { repositories: ['acme/beta'], permissions: { contents: 'read' } },
    ]);
    expect((other as { token: string }).token).not.toBe((answer as { token: string }).token);
    const issued = logs.filter(entry => entry.message === 'repository token issued');
    expect(issued.map(entry => entry.repository)).toEqual(['acme/alpha', 'acme/beta']);
    const logged = JSON.stringify(logs);
    for (const token of [answer, other].map(given => (given as { token: string }).token)) expect(logged).not.toContain(token);
  });

  test.each<[string, () => Promise<unknown>, string]>([
    ['a wrong ingest token', async () => ({ deploymentId: await deployment('alpha'), ingestToken: `${INGEST}x` }), "not the deployment's ingest token"],
    ['no ingest token', async () => ({ deploymentId: await deployment('alpha') }), "not the deployment's ingest token"],
    ['the ingest token of another deployment', async () => {
      const id = depId(++counter);
      await store.deployments.create(queuedDeployment(id, 'alpha', 'dev', { status: 'running' }));
      await store.deployments.attachTask(id, `task-${counter}`, ingestTokenHash('another-deployments-ingest-token-0123'));
      return { deploymentId: id, ingestToken: INGEST };
    }, "not the deployment's ingest token"],
    ['a queued deployment (no task, no token yet)', async () => ({ deploymentId: await deployment('alpha', { status: 'queued', attached: false }), ingestToken: INGEST }),
      "not the deployment's ingest token"],
    ['a running deployment without a task recorded', async () => ({ deploymentId: await deployment('alpha', { attached: false }), ingestToken: INGEST }),
      "not the deployment's ingest token"],
    ['an unknown deployment id', async () => ({ deploymentId: depId(99_999), ingestToken: INGEST }), 'no such deployment'],
    ['no deployment id', async () => ({ ingestToken: INGEST }), 'names no deployment'],
    ['not an object', async () => 'alpha', 'names no deployment'],
    ['a repository the App is not installed on', async () => ({ deploymentId: await deployment('gamma'), ingestToken: INGEST }), 'not installed on acme/gamma'],
  ])('%s: refused without detail, logged without a token', async (_what, request, reason) => {
    const before = standIn.tokensIssued().length;
    logs.length = 0;
    expect(await answerRepositoryTokenRequest(await request(), deps)).toEqual({ refused: true });
    expect(standIn.tokensIssued().length).toBe(before);
    expect(logs).toContainEqual(expect.objectContaining({ message: 'repository token refused', reason: expect.stringContaining(reason) }));
    expect(JSON.stringify(logs)).not.toContain(INGEST);
  });

  test('a deployment that finished is refused, though it had a token while running', async () => {
    const id = await deployment('alpha');
    expect(await answerRepositoryTokenRequest({ deploymentId: id, ingestToken: INGEST }, deps)).toHaveProperty('token');
    await store.deployments.transition(id, 'succeeded');
    logs.length = 0;
    expect(await answerRepositoryTokenRequest({ deploymentId: id, ingestToken: INGEST }, deps)).toEqual({ refused: true });
    expect(logs).toEqual([expect.objectContaining({ message: 'repository token refused', reason: 'the deployment is succeeded, not running' })]);
  });

  test('without a GitHub App configured, or before it is created, every request is refused', async () => {
    const id = await deployment('alpha');
    expect(await answerRepositoryTokenRequest({ deploymentId: id, ingestToken: INGEST }, { ...deps, github: undefined })).toEqual({ refused: true });
    const notYet = gitHubConnection({
      endpoints: standIn.endpoints,
      secrets: { get: async name => { throw new NotFoundError(`secret ${name} does not exist`); } },
      credentialsSecret: 'trellis/test/github-app',
      log: () => undefined,
    });
    logs.length = 0;
    expect(await answerRepositoryTokenRequest({ deploymentId: id, ingestToken: INGEST }, { ...deps, github: notYet })).toEqual({ refused: true });
    expect(logs).toContainEqual(expect.objectContaining({ reason: 'the GitHub App has not been created yet' }));
  });
});
