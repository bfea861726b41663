import { generateKeyPairSync } from 'crypto';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { GITHUB_ENV } from '../../src/contract/function-environment';
import { FileSecretSource } from '../../src/local/file-secret-source';
import { GITHUB_DOT_COM } from '../../src/runtime/core/github';
import { gitHubConnection, gitHubConnectionFromEnvironment } from '../../src/runtime/github/github-connection';

const SECRET = 'trellis/test/github-app';
const ENDPOINTS = { apiUrl: 'http://127.0.0.1:9/api/v3', webUrl: 'http://127.0.0.1:9' };

describe('gitHubConnection: the App\'s credentials read from their secret', () => {
  let dir: string;
  let secrets: FileSecretSource;
  let reads: number;
  let now: number;
  const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
  const credentials = { appId: '12', slug: 'trellis', privateKey, clientId: 'Iv1.abc', clientSecret: 'shh', htmlUrl: 'http://127.0.0.1:9/apps/trellis' };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'github-connection-'));
    const file = new FileSecretSource(join(dir, 'secrets.json'));
    reads = 0;
    now = Date.parse('2026-01-01T00:00:00Z');
    secrets = Object.assign(file, { get: (name: string) => { reads++; return FileSecretSource.prototype.get.call(file, name); } });
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const connect = () => gitHubConnection({
    endpoints: ENDPOINTS, secrets, credentialsSecret: SECRET, log: () => undefined, clock: { now: () => new Date(now) },
  });

  test('no secret yet: undefined, and asked again each time, so an App stored by the setup page is seen at once', async () => {
    const github = connect();
    expect(await github.app()).toBeUndefined();
    expect(await github.appInfo()).toBeUndefined();
    await secrets.update(SECRET, credentials);
    expect(await github.appInfo()).toEqual({ appId: '12', slug: 'trellis', htmlUrl: 'http://127.0.0.1:9/apps/trellis' });
    expect(await github.app()).toBeDefined();
    expect(await github.userAuthorization()).toBeDefined();
  });

  test('read once a minute; the same credentials keep their client (and its tokens), changed ones get a new one', async () => {
    await secrets.update(SECRET, credentials);
    const github = connect();
    const first = await github.app();
    expect(await github.app()).toBe(first);
    expect(reads).toBe(1);
    now += 61_000;
    expect(await github.app()).toBe(first);
    expect(reads).toBe(2);
    await secrets.update(SECRET, { slug: 'renamed' });
    expect(await github.app()).toBe(first); // still within the minute
    now += 61_000;
    const second = await github.app();
    expect(second).not.toBe(first);
    expect(await github.appInfo()).toMatchObject({ slug: 'renamed' });
  });

  test('a secret that is not the credentials: the error names the secret and what is missing, never a value', async () => {
    await secrets.update(SECRET, { appId: '12', privateKey: 'not-a-key-but-secret' });
    const error = await connect().app().catch(caught => caught);
    expect(error.message).toBe(`the secret ${SECRET} lacks the GitHub App's slug, clientId, clientSecret`);
    await secrets.put(SECRET, 'secret-text that is no JSON');
    now += 61_000;
    const notJson = await connect().appInfo().catch(caught => caught);
    expect(notJson.message).toMatch(new RegExp(`^the secret ${SECRET} is not JSON`));
    expect(notJson.message).not.toContain('secret-text');
  });

  test('from a function\'s environment: none without the App\'s secret name; github.com unless told otherwise', async () => {
    expect(gitHubConnectionFromEnvironment({}, secrets, () => undefined)).toBeUndefined();
    expect(gitHubConnectionFromEnvironment({ [GITHUB_ENV.appSecret]: SECRET }, secrets, () => undefined)!.endpoints).toEqual(GITHUB_DOT_COM);
    const enterprise = gitHubConnectionFromEnvironment({
      [GITHUB_ENV.appSecret]: SECRET, [GITHUB_ENV.apiUrl]: 'https://ghe.example/api/v3', [GITHUB_ENV.webUrl]: 'https://ghe.example',
    }, secrets, () => undefined)!;
    expect(enterprise.endpoints).toEqual({ apiUrl: 'https://ghe.example/api/v3', webUrl: 'https://ghe.example' });
    await secrets.update(SECRET, credentials);
    expect(await enterprise.appInfo()).toMatchObject({ appId: '12' });
  });
});
