import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { GITHUB_ENV, REPOSITORY_TOKEN_ENV } from '../../src/contract/function-environment';
import { GitHubStandIn, startGitHubStandIn } from '../../src/local/github-stand-in/stand-in';
import { ingestTokenHash } from '../../src/runtime/core/ingest-token';
import { createDynamoStore } from '../../src/runtime/store/dynamo-store';
import { appConfig, depId, envConfig, queuedDeployment } from '../store/fixtures';
import { startFakeSecretsManager } from '../support/fake-secrets-manager';
import { gitRepo } from '../support/git-repo';
import { freshTable } from '../support/test-table';

/**
 * The repository-token function's handler as Lambda loads it: its variables (REPOSITORY_TOKEN_ENV,
 * GITHUB_ENV), DynamoDB Local, the GitHub stand-in as GitHub Enterprise Server, and Secrets
 * Manager faked by a small HTTP endpoint (the one AWS service that cannot run here). What it
 * logs (stdout) never holds the token it answers.
 */
describe('repository-token.lambda', () => {
  const APP_SECRET = 'trellis/acme/github-app';
  const INGEST = 'ingest-token-for-the-handler-test-0123456789';
  const variables = [
    REPOSITORY_TOKEN_ENV.tableName, REPOSITORY_TOKEN_ENV.installation, GITHUB_ENV.apiUrl, GITHUB_ENV.webUrl, GITHUB_ENV.appSecret,
    'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_SECRETS_MANAGER', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY',
  ];
  let dir: string;
  let standIn: GitHubStandIn;
  let secretsManager: { url: string; close(): Promise<void> };
  let handler: (event: unknown) => Promise<Record<string, unknown>>;
  let stdout: string[];
  let spy: jest.SpyInstance;
  let record: (application: string) => Promise<string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trellis-token-handler-'));
    gitRepo(join(dir, 'shop'), { 'README.md': 'shop\n' });
    standIn = await startGitHubStandIn();
    standIn.addRepository('acme/shop', join(dir, 'shop'));
    const credentials = standIn.createApp({ name: 'trellis-handler-test', default_permissions: { contents: 'read', metadata: 'read' } });
    standIn.install(['acme/shop']);
    secretsManager = await startFakeSecretsManager({ [APP_SECRET]: JSON.stringify(credentials) });
    const table = await freshTable('token-handler');
    const store = createDynamoStore(table);
    await store.config.syncApplications([appConfig('shop', [envConfig('dev')], 'acme/shop')]);
    let counter = 0;
    record = async application => {
      const id = depId(++counter);
      await store.deployments.create(queuedDeployment(id, application, 'dev', { status: 'running' }));
      await store.deployments.attachTask(id, `task-${counter}`, ingestTokenHash(INGEST));
      return id;
    };
    Object.assign(process.env, {
      [REPOSITORY_TOKEN_ENV.tableName]: table.tableName,
      [REPOSITORY_TOKEN_ENV.installation]: 'acme',
      [GITHUB_ENV.apiUrl]: standIn.endpoints.apiUrl,
      [GITHUB_ENV.webUrl]: standIn.endpoints.webUrl,
      [GITHUB_ENV.appSecret]: APP_SECRET,
      AWS_ENDPOINT_URL_DYNAMODB: process.env.TRELLIS_TEST_DYNAMODB_ENDPOINT,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      handler = require('../../src/runtime/handlers/repository-token.lambda').handler;
    });
  });

  beforeEach(() => {
    stdout = [];
    spy = jest.spyOn(console, 'log').mockImplementation((text: unknown) => { stdout.push(String(text)); });
  });
  afterEach(() => spy.mockRestore());

  afterAll(async () => {
    for (const name of variables) delete process.env[name];
    await secretsManager.close();
    await standIn.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('answers a token for the running deployment with its ingest token, logged without it', async () => {
    const before = standIn.tokensIssued().length;
    const deploymentId = await record('shop');
    const answer = await handler({ deploymentId, ingestToken: INGEST });
    expect(answer).toEqual({ token: expect.any(String), expiresAt: expect.any(String) });
    expect(standIn.tokensIssued().slice(before)).toEqual([{ repositories: ['acme/shop'], permissions: { contents: 'read' } }]);
    expect(stdout.map(line => JSON.parse(line))).toContainEqual(expect.objectContaining({ message: 'repository token issued', deployment: deploymentId, repository: 'acme/shop' }));
    expect(stdout.join('\n')).not.toContain(answer.token as string);
    expect(stdout.join('\n')).not.toContain(INGEST);
  });

  test('refuses a wrong ingest token without detail', async () => {
    const deploymentId = await record('shop');
    expect(await handler({ deploymentId, ingestToken: 'a-guessed-ingest-token' })).toEqual({ refused: true });
    expect(stdout.map(line => JSON.parse(line))).toEqual([expect.objectContaining({ message: 'repository token refused', deployment: deploymentId })]);
    expect(stdout.join('\n')).not.toContain('a-guessed-ingest-token');
  });
});
