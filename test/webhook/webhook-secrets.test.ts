import { randomUUID } from 'crypto';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { secretNames } from '../../src/contract/secret-names';
import { FileSecretSource } from '../../src/local/file-secret-source';
import { Store } from '../../src/runtime/core';
import { handleWebhook, signatureMatchesAny } from '../../src/runtime/webhook/webhook-handler';
import { appWebhookSecret, webhookSecrets } from '../../src/runtime/webhook/webhook-secrets';
import { FakeLaunchQueue } from '../api/fakes';
import { githubSignature } from '../support/github-webhook';
import { freshStore } from '../support/test-table';

/**
 * The webhook takes deliveries signed with the installation's own webhook secret and, once the
 * GitHub App exists, with the App's: read from a real FileSecretSource (local mode's
 * secrets.json) where the setup page stores it as `{ "secret": ... }`.
 */
describe('webhook signing secrets', () => {
  const INSTALLATION_SECRET = 'installation-webhook-secret-7d1e';
  const APP_SECRET = 'github-app-webhook-secret-0b9a';
  const appName = secretNames.githubAppWebhook('local');
  let dir: string;
  let source: FileSecretSource;
  let store: Store;

  beforeAll(async () => {
    ({ store } = await freshStore());
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'trellis-webhook-secrets-'));
    source = new FileSecretSource(join(dir, 'secrets.json'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A ping signed with `secret`, through handleWebhook: 200 when the signature is accepted. */
  async function ping(secret: string): Promise<number> {
    const body = Buffer.from(JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 }));
    const headers = {
      'content-type': 'application/json',
      'x-github-event': 'ping',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': githubSignature(secret, body),
    };
    const secrets = webhookSecrets(async () => INSTALLATION_SECRET, source, appName);
    return (await handleWebhook({ headers, body }, { secrets, store, queue: new FakeLaunchQueue() })).statusCode;
  }

  test('before the App exists: the installation secret is accepted, the App secret and others refused', async () => {
    expect(await ping(INSTALLATION_SECRET)).toBe(200);
    expect(await ping(APP_SECRET)).toBe(401);
    expect(await ping('another-secret-entirely')).toBe(401);
  });

  test("once the App's secret is stored: both are accepted, others still refused", async () => {
    await source.update(appName, { secret: APP_SECRET });
    expect(await appWebhookSecret(source, appName)).toBe(APP_SECRET);
    expect(await ping(APP_SECRET)).toBe(200);
    expect(await ping(INSTALLATION_SECRET)).toBe(200);
    expect(await ping('another-secret-entirely')).toBe(401);
    expect(await ping(`${APP_SECRET}x`)).toBe(401);
  });

  test('without an App secret name (no App configured), only the installation secret is asked for', async () => {
    await source.update(appName, { secret: APP_SECRET });
    expect(await webhookSecrets(async () => INSTALLATION_SECRET, source)()).toEqual([INSTALLATION_SECRET]);
  });

  test('a plain-text App secret (an App made by hand) is taken as it is', async () => {
    const plain = { get: async () => APP_SECRET };
    expect(await appWebhookSecret(plain, appName)).toBe(APP_SECRET);
  });

  test('an empty secret never matches, even a signature made with it', () => {
    const body = Buffer.from('{}');
    expect(signatureMatchesAny([''], body, githubSignature('', body))).toBe(false);
    expect(signatureMatchesAny(['', 'real'], body, githubSignature('real', body))).toBe(true);
    expect(signatureMatchesAny([], body, githubSignature('real', body))).toBe(false);
  });
});
