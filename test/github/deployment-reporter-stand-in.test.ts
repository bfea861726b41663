import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { observeDeployments } from '../../src/local/deployment-events';
import { LocalGitHubReports, localGitHubReports } from '../../src/local/github-reports';
import { GitHubStandIn, startGitHubStandIn } from '../../src/local/github-stand-in/stand-in';
import { Clock, DeploymentScheduler, Store } from '../../src/runtime/core';
import { GitHubConnection } from '../../src/runtime/core/github';
import { finalizeTask } from '../../src/runtime/deployments/finalize';
import { launchQueued } from '../../src/runtime/deployments/launch';
import { reportDeployment } from '../../src/runtime/github/deployment-reporter';
import { gitHubConnection } from '../../src/runtime/github/github-connection';
import { FakeTaskRunner, taskArn } from '../deployments/fake-task-runner';
import { appConfig, configuredStore, envConfig } from '../store/fixtures';
import { gitRepo } from '../support/git-repo';

/**
 * The reporter through the real client over HTTP to the GitHub stand-in (installation tokens,
 * statuses, deployments checked as GitHub checks them), driven by the real launcher and
 * finalizer against DynamoDB Local, reported as local mode reports.
 */

const REPOSITORY = 'acme/shop';
const DASHBOARD = 'http://127.0.0.1:4100';
const HEALTH = 'https://staging.shop.example/health';

describe('deployment reporter against the GitHub stand-in', () => {
  let dir: string;
  let commits: string[];
  let standIn: GitHubStandIn;
  let inner: Store;
  let store: Store;
  let clock: Clock;
  let runner: FakeTaskRunner;
  let reports: LocalGitHubReports;
  let logs: Array<Record<string, any>>;
  let connection: GitHubConnection;
  const deps = () => ({ store, runner, clock });
  const failures = () => logs.filter(entry => entry.message === 'github report failed');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reporter-stand-in-'));
    commits = gitRepo(join(dir, 'shop'), { 'a.txt': 'one' }, { 'a.txt': 'two' }, { 'a.txt': 'three' });
    standIn = await startGitHubStandIn();
    standIn.addRepository(REPOSITORY, join(dir, 'shop'));
  });

  afterAll(async () => {
    await standIn.close();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    ({ store: inner, clock } = await configuredStore([appConfig('shop', [
      envConfig('staging', { kind: 'staging', branch: 'main', healthCheck: { url: HEALTH, minStatus: 200, maxStatus: 399, timeoutSeconds: 5, retries: 0, intervalSeconds: 1 } }),
      envConfig('production', { kind: 'production' }),
    ])]));
    const credentials = standIn.createApp({
      name: `trellis-${Date.now()}`,
      default_permissions: { contents: 'read', statuses: 'write', deployments: 'write', metadata: 'read' },
    });
    standIn.install([REPOSITORY]);
    logs = [];
    const github = connection = gitHubConnection({
      endpoints: standIn.endpoints,
      secrets: { get: async () => JSON.stringify(credentials) },
      credentialsSecret: 'trellis/github-app',
      log: entry => logs.push(entry),
    });
    runner = new FakeTaskRunner();
    store = observeDeployments(inner, deployment => reports.report(deployment));
    reports = localGitHubReports({ github, store: inner, dashboardUrl: () => DASHBOARD, installation: 'local', log: entry => logs.push(entry), retry: { backoffMs: 1 } });
  });

  async function deploy(commit: string, environment: string, exitCode: number) {
    const d = await new DeploymentScheduler(store, clock).create({
      application: 'shop', environment, action: 'deploy', commit, branch: 'main', repository: REPOSITORY, trigger: { kind: 'push' },
    });
    await launchQueued(d.id, deps());
    runner.stopped(d.id);
    await finalizeTask({ deploymentId: d.id, taskId: taskArn(d.id), exitCode }, deps());
    await reports.settled();
    return d;
  }

  test('a deploy that succeeds and one that fails, as GitHub shows them', async () => {
    const good = await deploy(commits[0], 'staging', 0);
    const bad = await deploy(commits[1], 'production', 1);

    expect(standIn.statuses(REPOSITORY, commits[0]).map(status => [status.context, status.state, status.target_url])).toEqual([
      ['trellis/shop/staging', 'pending', `${DASHBOARD}/#/deployments/${good.id}`],
      ['trellis/shop/staging', 'pending', `${DASHBOARD}/#/deployments/${good.id}`],
      ['trellis/shop/staging', 'success', `${DASHBOARD}/#/deployments/${good.id}`],
    ]);
    expect(standIn.statuses(REPOSITORY, commits[1]).map(status => [status.state, status.description])).toEqual([
      ['pending', 'Queued to deploy to production'],
      ['pending', 'Deploying to production'],
      ['failure', 'Failed: the builder exited with code 1'],
    ]);
    const made = (commit: string) => standIn.deployments(REPOSITORY).filter(deployment => deployment.sha === commit);
    expect(made(commits[0])).toEqual([expect.objectContaining({ environment: 'shop/staging', production_environment: false })]);
    expect(made(commits[0])[0].statuses).toEqual(['queued', 'in_progress', 'success'].map(state => expect.objectContaining({
      state, environment_url: HEALTH, log_url: `${DASHBOARD}/#/deployments/${good.id}`,
    })));
    expect(made(commits[1])).toEqual([expect.objectContaining({ environment: 'shop/production', production_environment: true })]);
    expect(made(commits[1])[0].statuses.map(status => status.state)).toEqual(['queued', 'in_progress', 'failure']);
    expect(await inner.deployments.get(bad.id)).toMatchObject({ status: 'failed', githubDeploymentId: made(commits[1])[0].id });
    expect(failures()).toEqual([]);
    // The App asked only for what reporting needs, on this repository.
    for (const token of standIn.tokensIssued()) {
      expect(token.repositories).toEqual([REPOSITORY]);
      expect(Object.entries(token.permissions).filter(([permission]) => permission !== 'metadata')).toEqual([
        [expect.stringMatching(/^(statuses|deployments)$/), 'write'],
      ]);
    }
  });

  test('a repository the App is not installed on: nothing reported, nothing counted, a line says why', async () => {
    const [commit] = gitRepo(join(dir, 'other'), { 'b.txt': 'one' });
    standIn.addRepository('acme/other', join(dir, 'other'));
    const d = await new DeploymentScheduler(inner, clock).create({
      application: 'shop', environment: 'staging', action: 'deploy', commit, repository: 'acme/other', trigger: { kind: 'push' },
    });
    const result = await reportDeployment(
      d,
      undefined,
      { github: connection, deployments: inner.deployments, dashboardUrl: DASHBOARD, installation: 'local', log: entry => logs.push(entry) },
    );
    // GitHub's answer to "the App's installation on this repository" (a 404, or one without an installation).
    expect(result).toEqual({ skipped: expect.stringMatching(/404 to GET \/repos\/acme\/other\/installation|not installed on acme\/other/) });
    expect(failures()).toEqual([]);
    expect(logs).toContainEqual(expect.objectContaining({ message: 'github report skipped', call: 'set the commit status', deployment: d.id }));
    expect(standIn.statuses('acme/other', commit)).toEqual([]);
  });

  test('GitHub answering 500 on every try: the deployment is unaffected, the failure logged without a token; the next change is reported', async () => {
    standIn.failNext(/\/statuses\//, 500, 3);
    const d = await deploy(commits[2], 'staging', 0);
    expect(await inner.deployments.get(d.id)).toMatchObject({ status: 'succeeded' });
    expect(failures()).toEqual([expect.objectContaining({ call: 'set the commit status', status: 'queued', attempts: 3, error: expect.stringContaining('500') })]);
    expect(JSON.stringify(logs)).not.toMatch(/ghs_|-----BEGIN|Bearer /);
    expect(standIn.statuses(REPOSITORY, commits[2]).map(status => status.state)).toEqual(['pending', 'success']);
  });
});
