import { FakeTaskRunner } from './fake-task-runner';
import { DeploymentScheduler, Store } from '../../src/runtime/core';
import { launchQueued } from '../../src/runtime/deployments/launch';
import { appConfig, envConfig, steppingClock } from '../store/fixtures';
import { freshStore } from '../support/test-table';

/**
 * The launcher gives each build its environment's role, read from the environment's stored
 * configuration: a promotion or rollback into production runs with production's role, a dev
 * push with dev's. DynamoDB Local; ECS is the recording fake.
 */

const ROLE = (env: string) => `arn:aws:iam::111122223333:role/shop-${env}-build`;
const COMMIT = (n: number) => n.toString(16).padStart(40, '0');

let store: Store;
let runner: FakeTaskRunner;
let clock: ReturnType<typeof steppingClock>;

beforeEach(async () => {
  clock = steppingClock();
  ({ store } = await freshStore(clock));
  runner = new FakeTaskRunner();
  await store.config.syncApplications([appConfig('shop', ['dev', 'staging', 'production'].map(env => envConfig(env, { buildRoleArn: ROLE(env) })))]);
});

const queue = (environment: string, action: 'deploy' | 'promote' | 'rollback', n: number) => new DeploymentScheduler(store, clock).create({
  application: 'shop',
  environment,
  action,
  commit: COMMIT(n),
  branch: 'main',
  trigger: action === 'deploy' ? { kind: 'push' } : { kind: action === 'promote' ? 'promotion' : 'rollback', actor: 'admin' },
});

test('the stored configuration keeps each environment\'s build role', async () => {
  expect((await store.config.getEnvironment('shop', 'production'))?.buildRoleArn).toBe(ROLE('production'));
});

test('each deployment\'s task runs with the role of the environment it deploys to', async () => {
  const push = await queue('dev', 'deploy', 1);
  const promotion = await queue('production', 'promote', 1);
  const rollback = await queue('staging', 'rollback', 2);
  for (const deployment of [push, promotion, rollback]) expect(await launchQueued(deployment.id, { store, runner, clock })).toMatchObject({ outcome: 'started' });

  expect(runner.runs.map(run => [run.environment, run.action, run.taskRoleArn])).toEqual([
    ['dev', 'deploy', ROLE('dev')],
    ['production', 'promote', ROLE('production')],
    ['staging', 'rollback', ROLE('staging')],
  ]);
});
