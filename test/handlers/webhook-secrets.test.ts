import { randomUUID } from 'crypto';
import { GITHUB_ENV, WEBHOOK_ENV } from '../../src/contract/function-environment';
import { startFakeSecretsManager } from '../support/fake-secrets-manager';
import { githubSignature } from '../support/github-webhook';
import { httpApiEvent } from '../support/http-api-event';
import { freshTable } from '../support/test-table';

/**
 * The webhook handler as Lambda loads it, with the installation's webhook secret (by ARN) and
 * the GitHub App's (GITHUB_APP_WEBHOOK_SECRET, stored as `{ "secret": ... }`) in a fake Secrets
 * Manager: a delivery signed with either is accepted, any other refused; without the App's
 * variable only the installation's counts.
 */
describe('webhook.lambda: the installation\'s and the App\'s webhook secrets', () => {
  const OWN_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:trellis/acme/github-webhook-secret-AbCdEf';
  const APP_NAME = 'trellis/acme/github-app-webhook-secret';
  const OWN = 'installation-webhook-secret-5c2d';
  const APP = 'github-app-webhook-secret-8e1f';
  const variables = [
    WEBHOOK_ENV.tableName, WEBHOOK_ENV.queueUrl, WEBHOOK_ENV.webhookSecretArn, WEBHOOK_ENV.installation, GITHUB_ENV.appWebhookSecret,
    'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_SECRETS_MANAGER', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY',
  ];
  let secretsManager: { url: string; close(): Promise<void> };
  let spy: jest.SpyInstance;

  beforeAll(async () => {
    secretsManager = await startFakeSecretsManager({ [OWN_ARN]: OWN, [APP_NAME]: JSON.stringify({ secret: APP }) });
    const table = await freshTable('webhook-secrets');
    Object.assign(process.env, {
      [WEBHOOK_ENV.tableName]: table.tableName,
      [WEBHOOK_ENV.queueUrl]: 'http://127.0.0.1:9/queue', // a ping never reaches it
      [WEBHOOK_ENV.webhookSecretArn]: OWN_ARN,
      [WEBHOOK_ENV.installation]: 'acme',
      AWS_ENDPOINT_URL_DYNAMODB: process.env.TRELLIS_TEST_DYNAMODB_ENDPOINT,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
    spy = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });

  afterAll(async () => {
    spy.mockRestore();
    for (const name of variables) delete process.env[name];
    await secretsManager.close();
  });

  /** The handler, loaded afresh with the App's variable set (or not). */
  function load(withApp: boolean): (event: unknown) => Promise<{ statusCode?: number }> {
    if (withApp) process.env[GITHUB_ENV.appWebhookSecret] = APP_NAME;
    else delete process.env[GITHUB_ENV.appWebhookSecret];
    let handler: (event: unknown) => Promise<{ statusCode?: number }> = async () => ({});
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      handler = require('../../src/runtime/handlers/webhook.lambda').handler;
    });
    return handler;
  }

  /** A ping signed with `secret`: what the handler answers. */
  async function ping(handler: (event: unknown) => Promise<{ statusCode?: number }>, secret: string): Promise<number | undefined> {
    const body = JSON.stringify({ zen: 'Design for failure.', hook_id: 7 });
    const headers = {
      'content-type': 'application/json',
      'x-github-event': 'ping',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': githubSignature(secret, body),
    };
    return (await handler(httpApiEvent('POST', '/webhook', { headers, body }))).statusCode;
  }

  test('with the App: both secrets are accepted, another is refused', async () => {
    const handler = load(true);
    expect(await ping(handler, APP)).toBe(200);
    expect(await ping(handler, OWN)).toBe(200);
    expect(await ping(handler, 'not-a-configured-secret')).toBe(401);
    // The stored JSON is not itself a secret one may sign with.
    expect(await ping(handler, JSON.stringify({ secret: APP }))).toBe(401);
  });

  test("without the App's variable: only the installation's secret", async () => {
    const handler = load(false);
    expect(await ping(handler, OWN)).toBe(200);
    expect(await ping(handler, APP)).toBe(401);
  });
});
