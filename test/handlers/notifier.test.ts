import type { DynamoDBStreamEvent } from 'aws-lambda';
import { NOTIFIER_ENV } from '../../src/contract/function-environment';
import { keys } from '../../src/contract/table-schema';
import { createDynamoStore } from '../../src/runtime/store/dynamo-store';
import { TestReceiver } from '../notifications/support/receiver';
import { appConfig, depId, envConfig, queuedDeployment } from '../store/fixtures';
import { startFakeSecretsManager } from '../support/fake-secrets-manager';
import { freshTable } from '../support/test-table';

/**
 * The notifier function's handler as Lambda loads it: its variables (NOTIFIER_ENV), DynamoDB
 * Local, a webhook's key and a Slack URL read from Secrets Manager (faked by a small HTTP
 * endpoint), real receivers on 127.0.0.1. What it logs never holds a key or the Slack URL. The
 * function sends to https:// URLs only; the receivers speak plain HTTP, so the configured
 * https://127.0.0.1 URLs are carried to them by a wrapper around fetch (TLS is all it leaves out).
 */
describe('notifier.lambda', () => {
  const KEY = 'webhook-key-from-secrets-manager-42';
  const variables = [
    NOTIFIER_ENV.tableName, NOTIFIER_ENV.installation, NOTIFIER_ENV.dashboardUrl,
    'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_SECRETS_MANAGER', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY',
  ];
  let hook: TestReceiver;
  let slack: TestReceiver;
  let secretsManager: { url: string; close(): Promise<void> };
  let handler: (event: DynamoDBStreamEvent) => Promise<{ batchItemFailures: unknown[] }>;
  let store: ReturnType<typeof createDynamoStore>;
  const stdout: string[] = [];
  let spy: jest.SpyInstance;
  let plainHook: TestReceiver;
  const realFetch = globalThis.fetch;
  const overTls = (url: string) => url.replace(/^http:/, 'https:');

  beforeAll(async () => {
    hook = await TestReceiver.start(KEY);
    slack = await TestReceiver.start('unused', () => ({ status: 500 }));
    plainHook = await TestReceiver.start(KEY);
    secretsManager = await startFakeSecretsManager({ 'shop/hook-key': KEY, 'shop/slack-url': overTls(slack.url) });
    globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) =>
      realFetch(typeof input === 'string' ? input.replace(/^https:\/\/127\.0\.0\.1:/, 'http://127.0.0.1:') : input, init)) as typeof fetch;
    const table = await freshTable('notifier-handler');
    store = createDynamoStore(table);
    await store.config.syncApplications([{
      ...appConfig('shop', [envConfig('dev')]),
      notifications: [
        { kind: 'webhook', url: overTls(hook.url), secretArn: 'shop/hook-key' },
        { kind: 'slack', urlSecretArn: 'shop/slack-url' },
        // Only a deploy-time token could put an http:// URL here (synth refuses one): never sent to.
        { kind: 'webhook', url: plainHook.url, secretArn: 'shop/hook-key' },
      ],
    }]);
    Object.assign(process.env, {
      [NOTIFIER_ENV.tableName]: table.tableName,
      [NOTIFIER_ENV.installation]: 'acme',
      [NOTIFIER_ENV.dashboardUrl]: 'https://trellis.example.com',
      AWS_ENDPOINT_URL_DYNAMODB: process.env.TRELLIS_TEST_DYNAMODB_ENDPOINT,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      handler = require('../../src/runtime/handlers/notifier.lambda').handler;
    });
    spy = jest.spyOn(console, 'log').mockImplementation((text: unknown) => { stdout.push(String(text)); });
  });

  afterAll(async () => {
    globalThis.fetch = realFetch;
    await plainHook?.close();
    spy?.mockRestore();
    for (const name of variables) delete process.env[name];
    await secretsManager.close();
    await hook.close();
    await slack.close();
  });

  test('a stream record of a failed deployment: signed with the key from Secrets Manager; Slack\'s 500s are recorded and counted', async () => {
    const id = depId(1);
    await store.deployments.create(queuedDeployment(id, 'shop', 'dev'));
    await store.deployments.transition(id, 'running');
    await store.deployments.transition(id, 'failed', { reason: 'tests failed' });
    const key = keys.deployment(id);
    const result = await handler({
      Records: [{
        eventName: 'MODIFY',
        dynamodb: {
          Keys: { PK: { S: key.PK }, SK: { S: key.SK } },
          NewImage: { status: { S: 'failed' } },
          OldImage: { status: { S: 'running' } },
          SequenceNumber: '1',
        },
      }],
    });
    expect(result).toEqual({ batchItemFailures: [] });
    // The handler answers once deliveries are done: nothing left to wait for.
    expect(hook.requests).toHaveLength(1);
    expect(hook.requests[0].signatureValid).toBe(true);
    expect(hook.requests[0].body).toMatchObject({
      event: 'deployment.failed',
      sequence: 1,
      installation: 'acme',
      application: 'shop',
      environment: 'dev',
      deployment: { id, reason: 'tests failed', url: `https://trellis.example.com/#/deployments/${encodeURIComponent(id)}` },
    });
    expect(slack.requests).toHaveLength(3);
    expect(plainHook.requests).toEqual([]);
    const failures = await store.notifications.listFailures('shop');
    const described = failures.map(({ kind, destination, position, error }) => ({ kind, destination, position, error }));
    expect(described.sort((a, b) => a.position - b.position)).toEqual([
      { kind: 'slack', destination: 'slack 2', position: 2, error: 'HTTP 500' },
      { kind: 'webhook', destination: `webhook 3 (${new URL(plainHook.url).origin})`, position: 3, error: 'not sent: the URL is not https:// (here only https:// URLs are sent to)' },
    ]);
    const logged = stdout.join('\n');
    expect(logged).toContain('"NotificationFailures":1');
    expect(logged).not.toContain(KEY);
    expect(logged).not.toContain(slack.url);
  }, 30_000);
});
