import { MemoryGitHub } from './support/memory-github';
import { observeDeployments } from '../../src/local/deployment-events';
import { LocalGitHubReports, localGitHubReports } from '../../src/local/github-reports';
import { Clock, Deployment, DeploymentScheduler, Store } from '../../src/runtime/core';
import { finalizeTask } from '../../src/runtime/deployments/finalize';
import { launchQueued } from '../../src/runtime/deployments/launch';
import { reportDeployment, statusDescription, whyNotReported } from '../../src/runtime/github/deployment-reporter';
import { FakeTaskRunner, taskArn } from '../deployments/fake-task-runner';
import { appConfig, configuredStore, envConfig, queuedDeployment } from '../store/fixtures';

/**
 * What a deployment's status changes put on GitHub, driven by the real launcher and finalizer
 * against DynamoDB Local, reported as local mode reports them (each change, in order, never
 * awaited by the change itself). GitHub is kept in memory (MemoryGitHub) with its faults.
 */

const COMMIT = (n: number) => n.toString(16).padStart(40, '0');
const DASHBOARD = 'http://127.0.0.1:4100';
const HEALTH = 'https://dev.shop.example/health';
const healthCheck = { url: HEALTH, minStatus: 200, maxStatus: 399, timeoutSeconds: 10, retries: 0, intervalSeconds: 1 };
const page = (id: string) => `${DASHBOARD}/#/deployments/${id}`;
/** Fast retries: the tests wait for them. */
const RETRY = { backoffMs: 1, timeoutMs: 300 };

describe('deployment reporter (DynamoDB Local, real launch and finalize, GitHub in memory)', () => {
  let inner: Store;
  let store: Store;
  let clock: Clock;
  let runner: FakeTaskRunner;
  let github: MemoryGitHub;
  let reports: LocalGitHubReports;
  let logs: Array<Record<string, any>>;
  const deps = () => ({ store, runner, clock });
  const failures = () => logs.filter(entry => entry.message === 'github report failed');

  beforeEach(async () => {
    ({ store: inner, clock } = await configuredStore([appConfig('shop', [
      envConfig('dev', { kind: 'development', branch: 'main', autoDeploy: true, healthCheck }),
      envConfig('production', { kind: 'production' }),
    ])]));
    github = new MemoryGitHub();
    logs = [];
    runner = new FakeTaskRunner();
    store = observeDeployments(inner, deployment => reports.report(deployment));
    reports = localGitHubReports({ github: github.connection, store: inner, dashboardUrl: () => DASHBOARD, installation: 'acme', log: entry => logs.push(entry), retry: RETRY });
  });

  async function queue(n: number, environment = 'dev', overrides: Partial<Deployment> = {}) {
    return new DeploymentScheduler(store, clock).create({
      application: 'shop', environment, action: 'deploy', commit: COMMIT(n), branch: 'main', repository: 'acme/shop', trigger: { kind: 'push' }, ...overrides,
    });
  }

  async function stop(deploymentId: string, exitCode: number) {
    runner.stopped(deploymentId);
    return finalizeTask({ deploymentId, taskId: taskArn(deploymentId), exitCode }, deps());
  }

  test('a deploy that succeeds: pending, pending, success; one GitHub Deployment queued → in_progress → success with its URL', async () => {
    const d = await queue(1);
    await launchQueued(d.id, deps());
    await stop(d.id, 0);
    await reports.settled();

    const context = 'trellis/shop/dev';
    expect(github.statuses('acme/shop', COMMIT(1))).toEqual([
      { context, state: 'pending', description: 'Queued to deploy to dev', target_url: page(d.id) },
      { context, state: 'pending', description: 'Deploying to dev', target_url: page(d.id) },
      { context, state: 'success', description: expect.stringMatching(/^Deployed to dev in \d+ s$/), target_url: page(d.id) },
    ]);
    const [made, ...others] = github.deployments('acme/shop');
    expect(others).toEqual([]);
    expect(made).toMatchObject({ sha: COMMIT(1), environment: 'shop/dev', production_environment: false });
    expect(made.statuses.map(status => status.state)).toEqual(['queued', 'in_progress', 'success']);
    for (const status of made.statuses) expect(status).toMatchObject({ environment_url: HEALTH, log_url: page(d.id) });
    // Kept on the deployment, so the next report (or a repeated one) finds it.
    expect(await inner.deployments.get(d.id)).toMatchObject({ status: 'succeeded', githubDeploymentId: made.id });
    expect(failures()).toEqual([]);
  });

  test('a deploy that fails: failure with the reason; a production GitHub Deployment ending in failure', async () => {
    const d = await queue(2, 'production');
    await launchQueued(d.id, deps());
    await stop(d.id, 1);
    await reports.settled();

    expect(github.statuses('acme/shop', COMMIT(2)).map(status => [status.context, status.state, status.description])).toEqual([
      ['trellis/shop/production', 'pending', 'Queued to deploy to production'],
      ['trellis/shop/production', 'pending', 'Deploying to production'],
      ['trellis/shop/production', 'failure', 'Failed: the builder exited with code 1'],
    ]);
    const [made] = github.deployments('acme/shop');
    expect(made).toMatchObject({ environment: 'shop/production', production_environment: true });
    expect(made.statuses.map(status => status.state)).toEqual(['queued', 'in_progress', 'failure']);
    // No health check in production: no environment URL is made up.
    expect(made.statuses.every(status => status.environment_url === undefined)).toBe(true);
  });

  test('a superseded deployment: an error status naming the newer one, its GitHub Deployment inactive', async () => {
    const running = await queue(3);
    await launchQueued(running.id, deps());
    const older = await queue(4);
    await launchQueued(older.id, deps()); // waits
    const newer = await queue(5);
    await launchQueued(newer.id, deps()); // replaces `older`
    await reports.settled();

    expect(await inner.deployments.get(older.id)).toMatchObject({ status: 'superseded' });
    expect(github.statuses('acme/shop', COMMIT(4)).map(status => [status.state, status.description])).toEqual([
      ['pending', 'Queued to deploy to dev'],
      ['error', `Not deployed: superseded by ${newer.id}`],
    ]);
    const made = github.deployments('acme/shop').find(deployment => deployment.sha === COMMIT(4))!;
    expect(made.statuses.map(status => status.state)).toEqual(['queued', 'inactive']);
  });

  test('a repeated report (an event delivered again, even one older than the kept id) makes no second GitHub Deployment', async () => {
    const d = await queue(6);
    await reports.settled();
    expect(github.deployments('acme/shop')).toHaveLength(1);

    // The queued state as first told, without the id kept since: twice at once, then again.
    reports.report(d);
    reports.report(d);
    await reports.settled();
    await reportDeployment(d, undefined, { github: github.connection, deployments: inner.deployments, dashboardUrl: DASHBOARD, installation: 'acme', log: entry => logs.push(entry) });
    expect(github.deployments('acme/shop')).toHaveLength(1);
    expect(github.deployments('acme/shop')[0].statuses.map(status => status.state)).toEqual(['queued', 'queued', 'queued', 'queued']);
  });

  test('GitHub answering 500 three times: the deployment goes on unchanged, the failure is logged and counted, later changes are reported', async () => {
    github.failNext(/\/statuses\/0+7$/, 500, 3);
    const d = await queue(7);
    await reports.settled();
    expect(await inner.deployments.get(d.id)).toMatchObject({ status: 'queued' });
    expect(github.statuses('acme/shop', COMMIT(7))).toEqual([]);
    expect(failures()).toEqual([expect.objectContaining({
      message: 'github report failed',
      call: 'set the commit status',
      attempts: 3,
      deployment: d.id,
      status: 'queued',
      error: expect.stringContaining('GitHub answered 500'),
      GitHubReportFailures: 1,
      Installation: 'acme',
      _aws: expect.objectContaining({ CloudWatchMetrics: [expect.objectContaining({ Namespace: 'Trellis', Metrics: [{ Name: 'GitHubReportFailures', Unit: 'Count' }] })] }),
    })]);
    // The GitHub Deployment was still made: each call stands alone.
    expect(github.deployments('acme/shop')[0].statuses.map(status => status.state)).toEqual(['queued']);

    await launchQueued(d.id, deps());
    await stop(d.id, 0);
    await reports.settled();
    expect(await inner.deployments.get(d.id)).toMatchObject({ status: 'succeeded' });
    expect(github.statuses('acme/shop', COMMIT(7)).map(status => status.state)).toEqual(['pending', 'success']);
    expect(failures()).toHaveLength(1);
  });

  test('two failures then an answer: retried, reported, nothing logged', async () => {
    github.failNext(/\/deployments$/, 502, 2);
    await queue(8);
    await reports.settled();
    expect(github.calls.filter(path => path.endsWith('/deployments'))).toHaveLength(3);
    expect(github.deployments('acme/shop')).toHaveLength(1);
    expect(failures()).toEqual([]);
  });

  test('an answer that is the same on every try (422) is tried once, then logged and counted', async () => {
    github.failNext(/\/statuses\//, 422, 3);
    const d = await queue(11);
    await reports.settled();
    expect(github.calls.filter(path => path.includes('/statuses/'))).toHaveLength(1);
    expect(failures()).toEqual([expect.objectContaining({ call: 'set the commit status', attempts: 1, deployment: d.id, GitHubReportFailures: 1 })]);
    expect(github.deployments('acme/shop')).toHaveLength(1);
  });

  test('a repository the App is not installed on (404): the report stops at once, said in a line that counts no failure', async () => {
    github.failNext(/\/statuses\//, 404, 1);
    const d = await queue(12);
    await reports.settled();
    expect(github.calls).toEqual([`/repos/acme/shop/statuses/${COMMIT(12)}`]);
    expect(failures()).toEqual([]);
    expect(logs).toEqual([expect.objectContaining({
      message: 'github report skipped', call: 'set the commit status', reason: expect.stringContaining('404'), deployment: d.id, failed: [],
    })]);
    expect(logs[0].GitHubReportFailures).toBeUndefined();
  });

  test('GitHub not answering: each try times out, the failure is logged, and the GitHub Deployment is made at the next change', async () => {
    github.failNext(/\/deployments$/, 'hang', 3);
    const d = await queue(9);
    await reports.settled();
    expect(github.deployments('acme/shop')).toEqual([]);
    expect(failures()).toEqual([expect.objectContaining({ call: 'create the GitHub Deployment', error: expect.stringContaining('did not answer within 300 ms') })]);

    await launchQueued(d.id, deps());
    await reports.settled();
    expect(github.deployments('acme/shop')).toEqual([expect.objectContaining({ sha: COMMIT(9) })]);
    expect(github.deployments('acme/shop')[0].statuses.map(status => status.state)).toEqual(['in_progress']);
  });

  test('a status change never waits for GitHub', async () => {
    github.failNext(/./, 'hang', 100);
    const d = await queue(10);
    await launchQueued(d.id, deps());
    // Both changes are written while GitHub has not answered the first call.
    expect(await inner.deployments.get(d.id)).toMatchObject({ status: 'running' });
    expect(github.calls.length).toBeGreaterThan(0);
    expect(github.calls.every(path => path === `/repos/acme/shop/statuses/${COMMIT(10)}`)).toBe(true);
    await reports.settled();
  });

  test('without a GitHub App nothing is called and nothing is logged', async () => {
    const result = await reportDeployment(queuedDeployment('d-1', 'shop', 'dev', { repository: 'acme/shop' }), undefined, {
      github: { app: async () => undefined }, deployments: inner.deployments, dashboardUrl: DASHBOARD, installation: 'acme', log: entry => logs.push(entry),
    });
    expect(result).toEqual({ skipped: 'no GitHub App is set up' });
    expect(logs).toEqual([]);
  });
});

describe('what is reported', () => {
  const deployment = (overrides: Partial<Deployment>) => queuedDeployment('d-1', 'shop', 'dev', { repository: 'acme/shop', ...overrides });

  test.each([
    ['a push', undefined, {}],
    ['a manual deploy', undefined, { trigger: { kind: 'manual' as const, actor: 'carol' } }],
    ['a promotion', undefined, { action: 'promote' as const, trigger: { kind: 'promotion' as const } }],
    ['a rollback', undefined, { action: 'rollback' as const, trigger: { kind: 'rollback' as const } }],
    ['a teardown', 'a teardown deploys no commit', { action: 'teardown' as const }],
    ['no repository', 'no GitHub repository', { repository: undefined }],
    ['a local path as repository', 'no GitHub repository', { repository: '/home/me/shop' }],
    ['a branch name for a commit', 'no commit SHA', { commit: 'main' }],
  ])('%s: skipped because %s', (_what, why, overrides) => {
    expect(whyNotReported(deployment(overrides))).toBe(why);
  });

  test('descriptions stay within GitHub\'s 140 characters', () => {
    const text = statusDescription(deployment({ status: 'failed', reason: 'x'.repeat(300) }));
    expect(text).toHaveLength(140);
    expect(text).toMatch(/^Failed: x+…$/);
    expect(statusDescription(deployment({ status: 'cancelled', reason: 'cancelled by carol' }))).toBe('Cancelled: cancelled by carol');
  });
});
