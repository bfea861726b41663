import { FakeTaskRunner, taskArn } from './fake-task-runner';
import { DeploymentScheduler, Store, UnsentDeploymentError } from '../../src/runtime/core';
import { withDeploymentMetrics } from '../../src/runtime/core/deployment-metrics';
import { cancelDeployment } from '../../src/runtime/deployments/cancel';
import { finalizeTask } from '../../src/runtime/deployments/finalize';
import { launchQueued } from '../../src/runtime/deployments/launch';
import { ManualClock, appConfig, envConfig } from '../store/fixtures';
import { freshStore } from '../support/test-table';

/**
 * Every deployment that reaches a final status leaves exactly one `deployment finished` line, an
 * Embedded Metric Format record for succeeded and failed ones, whichever path ended it: the
 * finalizer (any exit code), a launch that failed, a cancel, a superseded request, a queue that
 * refused it. Real store (DynamoDB Local), fake ECS.
 */

const COMMIT = (n: number) => n.toString(16).padStart(40, '0');
const INSTALLATION = 'acme-trellis';
const DEPLOYMENT_SETS = [['Installation'], ['Installation', 'Application'], ['Installation', 'Application', 'Environment']];

type Line = Record<string, any>;

describe('deployment metrics (EMF) at every final status', () => {
  let store: Store;
  let runner: FakeTaskRunner;
  let clock: ManualClock;
  let lines: Line[];
  const deps = () => ({ store, runner, clock });
  const finished = () => lines.filter(line => line.message === 'deployment finished');
  const metricsOf = (line: Line) => line._aws?.CloudWatchMetrics?.[0]?.Metrics?.map((m: { Name: string }) => m.Name) ?? [];

  beforeEach(async () => {
    clock = new ManualClock();
    lines = [];
    const base = await freshStore(clock);
    store = withDeploymentMetrics(base.store, { installation: INSTALLATION, log: entry => lines.push(JSON.parse(JSON.stringify(entry))) });
    runner = new FakeTaskRunner();
    await store.config.syncApplications([
      appConfig('shop', [envConfig('dev'), envConfig('staging')]),
      appConfig('blog', [envConfig('preview-1')]),
    ]);
  });

  async function queue(n: number, application = 'shop', environment = 'dev') {
    clock.advanceSeconds(1); // ids (and request order) follow the calls
    return new DeploymentScheduler(store, clock).create({ application, environment, action: 'deploy', commit: COMMIT(n), branch: 'main', trigger: { kind: 'push' } });
  }

  async function stop(deploymentId: string, exitCode?: number) {
    runner.stopped(deploymentId);
    return finalizeTask({ deploymentId, taskId: taskArn(deploymentId), exitCode }, deps());
  }

  test.each([
    // [application, environment, exit code, seconds it ran, status, metrics]
    ['shop', 'dev', 0, 95, 'succeeded', ['DeploymentsSucceeded', 'DeploymentDuration']],
    ['shop', 'staging', 0, 1, 'succeeded', ['DeploymentsSucceeded', 'DeploymentDuration']],
    ['blog', 'preview-1', 1, 30, 'failed', ['DeploymentsFailed']],
    ['shop', 'dev', 3, 600, 'failed', ['DeploymentsFailed']],
    ['blog', 'preview-1', undefined, 12, 'failed', ['DeploymentsFailed']],
  ] as const)('%s/%s, builder exit %s after %i s: one %s line with %j', async (application, environment, exitCode, seconds, status, metrics) => {
    const d = await queue(1, application, environment);
    await launchQueued(d.id, deps());
    clock.advanceSeconds(seconds);
    await stop(d.id, exitCode);
    const [line, ...rest] = finished();
    expect(rest).toEqual([]);
    expect(line).toMatchObject({
      deployment: d.id,
      status,
      action: 'deploy',
      durationSeconds: seconds,
      Installation: INSTALLATION,
      Application: application,
      Environment: environment,
    });
    expect(line._aws).toEqual({
      Timestamp: clock.at,
      CloudWatchMetrics: [{
        Namespace: 'Trellis',
        Dimensions: DEPLOYMENT_SETS,
        Metrics: metrics.map(name => ({ Name: name, Unit: name === 'DeploymentDuration' ? 'Seconds' : 'Count' })),
      }],
    });
    expect(line.DeploymentsSucceeded).toBe(status === 'succeeded' ? 1 : undefined);
    expect(line.DeploymentsFailed).toBe(status === 'failed' ? 1 : undefined);
    expect(line.DeploymentDuration).toBe(status === 'succeeded' ? seconds : undefined);
  });

  test('a repeated stop event, and two copies racing, count the deployment once', async () => {
    const d = await queue(1);
    await launchQueued(d.id, deps());
    clock.advanceSeconds(10);
    runner.stopped(d.id);
    const event = { deploymentId: d.id, taskId: taskArn(d.id), exitCode: 0 };
    await Promise.all([finalizeTask(event, deps()), finalizeTask(event, deps()), finalizeTask(event, deps())]);
    await finalizeTask(event, deps());
    expect(finished()).toEqual([expect.objectContaining({ deployment: d.id, status: 'succeeded', DeploymentsSucceeded: 1 })]);
  });

  test('a launch the executor refuses is counted as failed, without a duration metric', async () => {
    const d = await queue(1);
    runner.failNext = 'RunTask: no capacity';
    await launchQueued(d.id, deps()).catch(() => undefined);
    expect((await store.deployments.get(d.id))!.status).toBe('failed');
    const [line, ...rest] = finished();
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ deployment: d.id, status: 'failed', DeploymentsFailed: 1, Application: 'shop', Environment: 'dev' });
    expect(metricsOf(line)).toEqual(['DeploymentsFailed']);
  });

  test('a request the launch queue refuses is counted as failed', async () => {
    const refusing = { send: async () => { throw new Error('SQS is down'); } };
    await expect(new DeploymentScheduler(store, clock).submit(
      { application: 'blog', environment: 'preview-1', action: 'deploy', commit: COMMIT(1), trigger: { kind: 'manual' } }, refusing, 'not sent',
    )).rejects.toBeInstanceOf(UnsentDeploymentError);
    expect(finished()).toEqual([expect.objectContaining({ status: 'failed', DeploymentsFailed: 1, Application: 'blog', Environment: 'preview-1' })]);
    expect(finished()[0]).not.toHaveProperty('durationSeconds'); // it never ran
  });

  test('cancelled (queued or running) and superseded deployments are logged once each, with no metric', async () => {
    const running = await queue(1);
    await launchQueued(running.id, deps());
    const older = await queue(2);
    const newer = await queue(3);
    await launchQueued(older.id, deps()); // waits for the lock
    await launchQueued(newer.id, deps()); // waits, supersedes the older one
    const queued = await queue(4, 'shop', 'staging');
    await cancelDeployment(queued.id, 'ana', deps());
    await cancelDeployment(running.id, 'ana', deps());
    await stop(running.id, 137); // the cancelled build's task stops: already final, not counted again

    const byId = Object.fromEntries(finished().map(line => [line.deployment, line]));
    expect(finished()).toHaveLength(3);
    expect(byId[older.id]).toMatchObject({ status: 'superseded' });
    expect(byId[queued.id]).toMatchObject({ status: 'cancelled', Environment: 'staging' });
    expect(byId[running.id]).toMatchObject({ status: 'cancelled', Environment: 'dev' });
    for (const line of finished()) {
      expect(line).not.toHaveProperty('_aws');
      expect(line).toMatchObject({ Installation: INSTALLATION, Application: 'shop' });
    }
    // The newer one took the lock when the cancelled build's task stopped: not final, no line.
    expect(byId[newer.id]).toBeUndefined();
  });

  test('a line that cannot be made (no installation name) is reported, and the deployment still ends', async () => {
    const unnamed = withDeploymentMetrics(store, { installation: '', log: entry => lines.push(entry) });
    const d = await queue(1);
    await launchQueued(d.id, { ...deps(), store: unnamed });
    await finalizeTask({ deploymentId: d.id, taskId: taskArn(d.id), exitCode: 0 }, { ...deps(), store: unnamed });
    expect((await store.deployments.get(d.id))!.status).toBe('succeeded');
    expect(lines).toContainEqual(expect.objectContaining({
      message: 'deployment finished; its metrics could not be written', deployment: d.id, error: expect.stringContaining('Installation'),
    }));
  });

  test('moves that are not final are not logged', async () => {
    const d = await queue(1);
    await launchQueued(d.id, deps());
    expect((await store.deployments.get(d.id))!.status).toBe('running');
    expect(finished()).toEqual([]);
  });
});
