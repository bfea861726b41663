import { readFileSync } from 'fs';
import { join } from 'path';
import { NotificationDestinationConfig } from '../../src/runtime/core/notification-config';
import { SecretSource, Store, TopicPublisher } from '../../src/runtime/core/ports';
import { createNotifier, NotifierOptions } from '../../src/runtime/notifications/notifier';
import { appConfig, envConfig, queuedDeployment, steppingClock } from '../store/fixtures';
import { eventually } from '../support/eventually';
import { freshStore } from '../support/test-table';
import { TestReceiver } from './support/receiver';

const SECRET = 'hook-key-0123456789';
const secrets: SecretSource = {
  get: async name => {
    if (name === 'shop/hook') return SECRET;
    if (name === 'shop/slack') return 'unused';
    throw new Error(`secret ${name} does not exist`);
  },
};
const FAST = { attempts: 3, timeoutMs: 1_000, backoffMs: 50 };

const receivers: TestReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map(started => started.close()));
});

async function receiver(...args: Parameters<typeof TestReceiver.start>): Promise<TestReceiver> {
  const started = await TestReceiver.start(...args);
  receivers.push(started);
  return started;
}

async function setUp(notifications: NotificationDestinationConfig[], options: Partial<NotifierOptions> = {}) {
  const { store } = await freshStore(steppingClock());
  await store.config.syncApplications([{ ...appConfig('shop', [envConfig('dev'), envConfig('prod')]), notifications }]);
  const log: Record<string, unknown>[] = [];
  const notifier = createNotifier({
    store, installation: 'main', dashboardUrl: () => 'https://trellis.example.com', secrets, log: entry => log.push(entry), retry: FAST, ...options,
  });
  return { store: store as Store, notifier, log };
}

describe('the notifier, against a real receiver on 127.0.0.1', () => {
  test('signed deliveries with the headers, numbered per environment in the order told', async () => {
    const hook = await receiver(SECRET);
    const { notifier } = await setUp([{ kind: 'webhook', url: hook.url, secretArn: 'shop/hook' }]);
    const dep = queuedDeployment('dep-1', 'shop', 'dev');
    await notifier.notifyDeployment(dep);
    await notifier.notifyDeployment({ ...dep, status: 'running' }); // not an event
    await notifier.notifyDeployment({ ...dep, status: 'succeeded' });
    await notifier.notifyDeployment(queuedDeployment('dep-2', 'shop', 'prod'));
    await notifier.notifyDeployment({ ...dep, id: 'dep-3', status: 'failed', reason: 'tests failed' });
    await notifier.settled();

    expect(hook.requests).toHaveLength(4);
    expect(hook.requests.every(request => request.signatureValid)).toBe(true);
    const seen = hook.requests.map(({ body }) => [body.environment, body.sequence, body.event, body.deployment.id]);
    expect(seen).toEqual([
      ['dev', 1, 'deployment.queued', 'dep-1'],
      ['dev', 2, 'deployment.succeeded', 'dep-1'],
      ['prod', 1, 'deployment.queued', 'dep-2'],
      ['dev', 3, 'deployment.failed', 'dep-3'],
    ]);
    const [first] = hook.requests;
    expect(first.headers).toMatchObject({
      'content-type': 'application/json',
      'x-trellis-event': 'deployment.queued',
      'x-trellis-delivery': first.body.id,
      'x-trellis-sequence': '1',
      'x-trellis-timestamp': first.body.timestamp,
    });
    expect(first.body).toMatchObject({ installation: 'main', application: 'shop', deployment: { url: 'https://trellis.example.com/#/deployments/dep-1' } });
    expect(hook.requests[3].body.deployment.reason).toBe('tests failed');
  });

  test('a receiver that fails twice gets the same delivery a third time and keeps it; filters pick the events', async () => {
    const flaky = await receiver(SECRET, (_, index) => ({ status: index < 2 ? 503 : 204 }));
    const { notifier, store } = await setUp([
      { kind: 'webhook', url: flaky.url, secret: SECRET, events: ['deployment.succeeded'], environments: ['dev'] },
    ]);
    await notifier.notifyDeployment(queuedDeployment('dep-1', 'shop', 'dev'));
    await notifier.notifyDeployment(queuedDeployment('dep-1', 'shop', 'dev', { status: 'succeeded' }));
    await notifier.notifyDeployment(queuedDeployment('dep-2', 'shop', 'prod', { status: 'succeeded' }));
    await notifier.settled();
    expect(flaky.requests.map(request => [request.body.event, request.body.sequence])).toEqual([
      ['deployment.succeeded', 1], ['deployment.succeeded', 1], ['deployment.succeeded', 1],
    ]);
    expect(new Set(flaky.requests.map(request => request.body.id)).size).toBe(1);
    expect(await store.notifications.listFailures('shop')).toEqual([]);
  });

  test('after every attempt fails: recorded (without the secret), counted, and other destinations are not held up', async () => {
    const broken = await receiver(SECRET, () => ({ status: 500 }));
    const redirecting = await receiver(SECRET, () => ({ status: 302, location: 'http://127.0.0.1:1/elsewhere' }));
    const healthy = await receiver(SECRET);
    const { notifier, store, log } = await setUp([
      { kind: 'webhook', url: broken.url, secret: SECRET },
      { kind: 'webhook', url: redirecting.url, secret: SECRET },
      { kind: 'webhook', url: healthy.url, secret: SECRET },
    ], { retry: { ...FAST, backoffMs: 400 } });
    await notifier.notifyDeployment(queuedDeployment('dep-1', 'shop', 'dev', { status: 'failed', reason: 'boom' }));
    // The healthy receiver has it while the broken one is still being retried.
    await eventually('the healthy receiver to get the event', () => healthy.requests.length === 1, 5_000);
    expect(broken.requests.length).toBeLessThan(3);
    await notifier.settled();
    expect(broken.requests).toHaveLength(3);
    expect(redirecting.requests).toHaveLength(3);
    const failures = await store.notifications.listFailures('shop');
    const described = failures.map(({ destination, error, attempts, event, sequence, deploymentId }) =>
      [destination, error, attempts, event, sequence, deploymentId]);
    expect(described.sort()).toEqual([
      [`webhook 1 (${new URL(broken.url).origin})`, 'HTTP 500', 3, 'deployment.failed', 1, 'dep-1'],
      [`webhook 2 (${new URL(redirecting.url).origin})`, 'redirect (302) not followed', 3, 'deployment.failed', 1, 'dep-1'],
    ].sort());
    const metricLines = log.filter(entry => entry.NotificationFailures === 1);
    expect(metricLines).toHaveLength(2);
    expect(metricLines[0]).toMatchObject({ Installation: 'main', Application: 'shop', _aws: { CloudWatchMetrics: [{ Metrics: [{ Name: 'NotificationFailures' }] }] } });
    expect(JSON.stringify(log)).not.toContain(SECRET);
    expect(JSON.stringify(failures)).not.toContain(SECRET);
  });

  test('what is still being tried when the notifier stops waiting (a local server stopping) is recorded as not delivered', async () => {
    const hanging = await receiver(SECRET, () => ({ status: 200, delayMs: 4_000 }));
    const { notifier, store } = await setUp([
      { kind: 'webhook', url: hanging.url, secret: SECRET },
      { kind: 'webhook', url: hanging.url, secret: SECRET },
    ], { retry: { attempts: 3, timeoutMs: 10_000, backoffMs: 0 } });
    await notifier.notifyDeployment(queuedDeployment('dep-1', 'shop', 'dev', { status: 'failed', reason: 'boom' }));
    await eventually('both destinations to be tried', () => hanging.requests.length === 2, 5_000);
    await notifier.settled(100);
    const failures = await store.notifications.listFailures('shop');
    // Two destinations on one origin: one failure each, told apart by their place.
    expect(failures.map(({ destination, position, attempts, error }) => [destination, position, attempts, error]).sort()).toEqual([
      [`webhook 1 (${new URL(hanging.url).origin})`, 1, 1, 'not delivered: Trellis stopped after 1 of 3 attempts'],
      [`webhook 2 (${new URL(hanging.url).origin})`, 2, 1, 'not delivered: Trellis stopped after 1 of 3 attempts'],
    ]);
  });

  test('an attempt that gets no answer in time is cut off', async () => {
    const slow = await receiver(SECRET, () => ({ status: 200, delayMs: 2_000 }));
    const { notifier, store } = await setUp([{ kind: 'webhook', url: slow.url, secret: SECRET }], { retry: { attempts: 1, timeoutMs: 200, backoffMs: 0 } });
    const started = Date.now();
    await notifier.notifyDeployment(queuedDeployment('dep-1', 'shop', 'dev'));
    await notifier.settled();
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(await store.notifications.listFailures('shop')).toEqual([expect.objectContaining({ error: 'timed out after 0.2 s', attempts: 1 })]);
  });

  test('Slack gets a message at the URL read from its secret; SNS the same JSON with the event as an attribute', async () => {
    const slack = await receiver('unused');
    const published: Array<{ topicArn: string; message: string; attributes: Record<string, string> }> = [];
    const topics: TopicPublisher = {
      publish: async (topicArn, message, attributes) => {
        published.push({ topicArn, message, attributes: { ...attributes } });
      },
    };
    const slackSecrets: SecretSource = {
      get: async name => (name === 'shop/slack' ? `${slack.url}\n` : Promise.reject(new Error('no such secret'))),
    };
    const topicArn = 'arn:aws:sns:eu-west-1:111122223333:deployments';
    const { notifier, store } = await setUp([
      { kind: 'slack', urlSecretArn: 'shop/slack' },
      { kind: 'sns', topicArn },
    ], { secrets: slackSecrets, topics });
    await notifier.notifyDeployment(queuedDeployment('dep-1', 'shop', 'prod', { status: 'failed', reason: 'deploy failed' }));
    await notifier.settled();
    expect(slack.requests).toHaveLength(1);
    expect(slack.requests[0].body.text).toContain('*shop/prod*: failed');
    expect(slack.requests[0].body.text).toContain('Reason: deploy failed');
    expect(slack.requests[0].headers['x-trellis-signature-256']).toBeUndefined();
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ topicArn, attributes: { event: 'deployment.failed' } });
    expect(JSON.parse(published[0].message)).toMatchObject({ event: 'deployment.failed', sequence: 1, application: 'shop', environment: 'prod' });
    expect(await store.notifications.listFailures('shop')).toEqual([]);
  });

  test('httpsOnly (AWS): an http:// webhook or Slack URL (a token resolved at deploy time, a secret\'s value) is not sent to, and the failure says why without the URL', async () => {
    const plain = await receiver(SECRET);
    const slackSecrets: SecretSource = { get: async name => (name === 'shop/slack' ? plain.url : SECRET) };
    const { notifier, store } = await setUp([
      { kind: 'webhook', url: plain.url, secret: SECRET },
      { kind: 'slack', urlSecretArn: 'shop/slack' },
    ], { secrets: slackSecrets, httpsOnly: true, retry: { attempts: 1, timeoutMs: 1_000, backoffMs: 0 } });
    await notifier.notifyDeployment(queuedDeployment('dep-1', 'shop', 'dev', { status: 'failed', reason: 'boom' }));
    await notifier.settled();
    expect(plain.requests).toEqual([]);
    const failures = await store.notifications.listFailures('shop');
    expect(failures.map(failure => [failure.kind, failure.error]).sort()).toEqual([
      ['slack', 'not sent: the URL is not https:// (here only https:// URLs are sent to)'],
      ['webhook', 'not sent: the URL is not https:// (here only https:// URLs are sent to)'],
    ]);
    expect(JSON.stringify(failures)).not.toContain(new URL(plain.url).pathname === '/' ? plain.url : new URL(plain.url).pathname);
  });

  test('an application without destinations spends no sequence number; a preview event from the port is delivered', async () => {
    const hook = await receiver(SECRET);
    const { notifier, store } = await setUp([{ kind: 'webhook', url: hook.url, secret: SECRET, environments: ['prod', 'pr-4'] }]);
    await notifier.notifyDeployment(queuedDeployment('dep-1', 'shop', 'dev'));
    await notifier.notifyEnvironment('preview.created', 'shop', 'pr-4', { pullRequest: { number: 4, title: 'Faster' } });
    await notifier.notifyEnvironment('deployment.queued', 'nope', 'dev');
    await notifier.settled();
    expect(hook.requests.map(request => request.body)).toEqual([expect.objectContaining({
      event: 'preview.created', environment: 'pr-4', sequence: 1, pullRequest: { number: 4, title: 'Faster' },
    })]);
    expect(hook.requests[0].signatureValid).toBe(true);
    expect(await store.notifications.nextSequence('shop', 'dev')).toBe(1);
  });

  test('the README\'s receiver check accepts every delivery as received and refuses a changed body or another key', async () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const snippet = /```js\n(const \{ createHmac, timingSafeEqual \} = require\('crypto'\);[\s\S]*?)```/.exec(readme)?.[1];
    expect(snippet).toBeDefined();
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const fromTrellis = new Function('require', `${snippet}\nreturn fromTrellis;`)(require) as (raw: Buffer, header: unknown, secret: string) => boolean;
    const hook = await receiver(SECRET);
    const { notifier } = await setUp([{ kind: 'webhook', url: hook.url, secret: SECRET }]);
    await notifier.notifyDeployment(queuedDeployment('dep-1', 'shop', 'dev'));
    await notifier.notifyDeployment(queuedDeployment('dep-1', 'shop', 'dev', { status: 'failed', reason: 'naïve ünïcode' }));
    await notifier.settled();
    expect(hook.requests).toHaveLength(2);
    for (const { raw, headers } of hook.requests) {
      const signature = headers['x-trellis-signature-256'];
      expect(fromTrellis(raw, signature, SECRET)).toBe(true);
      expect(fromTrellis(raw, signature, 'another key')).toBe(false);
      expect(fromTrellis(Buffer.concat([raw, Buffer.from(' ')]), signature, SECRET)).toBe(false);
      expect(fromTrellis(raw, undefined, SECRET)).toBe(false);
    }
  });
});
