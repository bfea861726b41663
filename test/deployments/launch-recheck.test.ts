import { SQSClient } from '@aws-sdk/client-sqs';
import { FakeTaskRunner } from './fake-task-runner';
import { SqsLaunchQueue } from '../../src/runtime/aws/sqs-launch-queue';
import { DeploymentScheduler, LaunchMessage, Store } from '../../src/runtime/core';
import { ORDER_RECHECK, launchQueued } from '../../src/runtime/deployments/launch';
import { appConfig, envConfig, steppingClock } from '../store/fixtures';
import { freshStore } from '../support/test-table';

/**
 * The launcher puts off a push whose order against the waiting or running push of its branch
 * only arrival would tell: it sends the message back to its queue, delayed, counting how often;
 * once the count is spent the request order decides. DynamoDB Local; ECS is the recording fake.
 */

const sha = (n: number) => n.toString(16).padStart(40, '0');

let store: Store;
let runner: FakeTaskRunner;
let clock: ReturnType<typeof steppingClock>;
const sent: LaunchMessage[] = [];
const queue = { send: async (message: LaunchMessage) => { sent.push(message); } };
const deps = () => ({ store, runner, clock });

beforeEach(async () => {
  sent.length = 0;
  clock = steppingClock();
  ({ store } = await freshStore(clock));
  runner = new FakeTaskRunner();
  await store.config.syncApplications([appConfig('shop', [envConfig('dev')])]);
});

/** The push of commit n (n-1 → n), made and pushed in the same second as every other. */
const push = (n: number) => new DeploymentScheduler(store, clock).create({
  application: 'shop',
  environment: 'dev',
  action: 'deploy',
  commit: sha(n),
  branch: 'main',
  repository: 'acme/shop',
  trigger: { kind: 'push' },
  push: { before: sha(n - 1), pushedAt: '2026-12-05T10:00:00.000Z', committedAt: '2026-12-05T09:00:00.000Z' },
});

test('a push with no known order against the running one is sent back, delayed, and decided once the push between them arrives', async () => {
  const one = await push(1);
  expect(await launchQueued(one.id, deps(), { queue, deferrals: 0 })).toMatchObject({ outcome: 'started' });
  const three = await push(3);

  const outcome = await launchQueued(three.id, deps(), { queue, deferrals: 0 });
  expect(outcome).toMatchObject({ outcome: 'deferred', deploymentId: three.id, reason: expect.stringContaining(one.id) });
  expect(sent).toEqual([{ deploymentId: three.id, deferrals: 1, delaySeconds: ORDER_RECHECK.delaySeconds }]);
  expect(await store.deployments.get(three.id)).toMatchObject({ status: 'queued' });

  // The push of 2 arrives: 3 was pushed on top of it, so it is superseded at once; 3 asked
  // again follows 1 through it, and waits.
  const two = await push(2);
  expect(await launchQueued(two.id, deps(), { queue, deferrals: 0 })).toMatchObject({ outcome: 'superseded' });
  expect(await store.deployments.get(two.id)).toMatchObject({ status: 'superseded', reason: `superseded by ${three.id}: its push moved the branch on from ${sha(2).slice(0, 12)} to ${sha(3).slice(0, 12)}` });
  expect(await launchQueued(three.id, deps(), { queue, deferrals: 1 })).toMatchObject({ outcome: 'waiting' });
  expect(await store.config.getEnvironment('shop', 'dev')).toMatchObject({ lockHolder: one.id, pending: three.id });
  expect(sent).toHaveLength(1);
});

test(`after ${ORDER_RECHECK.times} times put off, or with no queue to send it back to, the request order decides`, async () => {
  const one = await push(1);
  await launchQueued(one.id, deps());
  const three = await push(3);
  expect(await launchQueued(three.id, deps(), { queue, deferrals: ORDER_RECHECK.times })).toMatchObject({ outcome: 'waiting' });
  const five = await push(5);
  expect(await launchQueued(five.id, deps())).toMatchObject({ outcome: 'waiting' });
  expect(await store.deployments.get(three.id)).toMatchObject({ status: 'superseded', reason: `superseded by ${five.id}` });
  expect(sent).toEqual([]);
});

test('on SQS the delay is the message\'s DelaySeconds, and the count travels in its body', async () => {
  const inputs: unknown[] = [];
  const client = { send: async (command: { input: unknown }) => { inputs.push(command.input); } } as unknown as SQSClient;
  const sqs = new SqsLaunchQueue('https://sqs.eu-west-1.amazonaws.com/111122223333/launch', client);
  await sqs.send({ deploymentId: 'd-1', deferrals: 2, delaySeconds: ORDER_RECHECK.delaySeconds });
  await sqs.send({ deploymentId: 'd-2' });
  expect(inputs).toEqual([
    { QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/launch', MessageBody: '{"deploymentId":"d-1","deferrals":2}', DelaySeconds: 2 },
    { QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/launch', MessageBody: '{"deploymentId":"d-2"}' },
  ]);
});
