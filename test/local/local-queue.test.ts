import { LocalLaunchQueue } from '../../src/local/local-queue';
import { DeploymentScheduler, Store } from '../../src/runtime/core';
import { FakeTaskRunner } from '../deployments/fake-task-runner';
import { appConfig, envConfig, steppingClock } from '../store/fixtures';
import { freshStore } from '../support/test-table';

/**
 * Local mode's launch queue keeps SQS's delay: a delayed message is launched after it, `idle`
 * waits for it, and `close` drops what is still delayed (the deployment stays queued, and the
 * next start re-queues it) instead of waiting it out. DynamoDB Local; the runner is the fake.
 */

let store: Store;
let runner: FakeTaskRunner;
let clock: ReturnType<typeof steppingClock>;
let logged: Array<Record<string, unknown>>;
let queue: LocalLaunchQueue;

beforeEach(async () => {
  clock = steppingClock();
  ({ store } = await freshStore(clock));
  runner = new FakeTaskRunner();
  logged = [];
  await store.config.syncApplications([appConfig('shop', [envConfig('dev')])]);
  queue = new LocalLaunchQueue({ store, runner, clock, log: entry => logged.push(entry) });
});

const queued = () => new DeploymentScheduler(store, clock).create({
  application: 'shop', environment: 'dev', action: 'deploy', commit: 'a'.repeat(40), branch: 'main', trigger: { kind: 'push' },
});

test('a delayed message is launched after its delay, and idle waits for it', async () => {
  const deployment = await queued();
  await queue.send({ deploymentId: deployment.id, delaySeconds: 0.05 });
  expect(runner.runs).toEqual([]);
  await queue.idle();
  expect(runner.runs.map(run => run.deploymentId)).toEqual([deployment.id]);
  expect(await store.deployments.get(deployment.id)).toMatchObject({ status: 'running' });
});

test('close drops a message still delayed: nothing launches, the deployment stays queued', async () => {
  const deployment = await queued();
  await queue.send({ deploymentId: deployment.id, delaySeconds: 600 });
  await queue.close();
  expect(runner.runs).toEqual([]);
  expect(await store.deployments.get(deployment.id)).toMatchObject({ status: 'queued' });
  await queue.send({ deploymentId: deployment.id });
  expect(logged).toContainEqual({ message: 'launch dropped: the local queue is closed', deploymentId: deployment.id });
});
