import * as path from 'path';
import { createDynamoStore } from '../../src/runtime/store/dynamo-store';
import { freshTable } from '../support/test-table';

/**
 * Runs the esbuild bundle that ships in assets/ (not the TypeScript source), against
 * DynamoDB Local: proves the bundling path end to end.
 */
const BUNDLE = path.join(__dirname, '../../assets/runtime/handlers/config-sync.lambda/index.js');

function event(requestType: 'Create' | 'Update' | 'Delete', applications: unknown, physicalResourceId?: string) {
  return {
    RequestType: requestType,
    ServiceToken: 'arn:aws:lambda:eu-west-1:111122223333:function:x',
    ResponseURL: 'https://example.invalid',
    StackId: 'stack',
    RequestId: 'req',
    LogicalResourceId: 'Configuration',
    ResourceType: 'Custom::TrellisConfiguration',
    PhysicalResourceId: physicalResourceId,
    ResourceProperties: { ServiceToken: 'x', Applications: JSON.stringify(applications) },
  };
}

const shop = {
  name: 'shop',
  repository: 'acme/shop',
  environments: [
    { name: 'dev', kind: 'development', branch: 'main', autoDeploy: true, runTests: true, testCommand: ['npm', 'run', 'test'], variables: {}, protected: false },
    { name: 'production', kind: 'production', autoDeploy: false, runTests: false, testCommand: ['npm', 'run', 'test'], variables: {}, protected: true },
  ],
};

describe('config-sync handler bundle', () => {
  let handler: (event: unknown) => Promise<{ PhysicalResourceId: string }>;
  let ctx: Awaited<ReturnType<typeof freshTable>>;

  beforeAll(async () => {
    ctx = await freshTable('config-sync');
    process.env.TABLE_NAME = ctx.tableName;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = process.env.TRELLIS_TEST_DYNAMODB_ENDPOINT;
    process.env.AWS_REGION = 'local';
    process.env.AWS_ACCESS_KEY_ID = 'local';
    process.env.AWS_SECRET_ACCESS_KEY = 'local';
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = require(BUNDLE).handler;
  });

  afterAll(() => {
    for (const name of ['TABLE_NAME', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) delete process.env[name];
  });

  test('create writes applications and environments; update removes what left the config', async () => {
    const store = createDynamoStore(ctx);
    const created = await handler(event('Create', [shop]));
    expect(created.PhysicalResourceId).toBe(`trellis-configuration-${ctx.tableName}`);
    expect((await store.config.listApplications()).map(app => [app.name, app.environments.map(env => env.name)]))
      .toEqual([['shop', ['dev', 'production']]]);

    await handler(event('Update', [{ ...shop, environments: [shop.environments[0]] }], created.PhysicalResourceId));
    expect((await store.config.listEnvironments('shop')).map(env => env.name)).toEqual(['dev']);
  });

  test('invalid configuration fails the deploy with the reason and writes nothing', async () => {
    const store = createDynamoStore(ctx);
    const before = await store.config.listApplications();
    await expect(handler(event('Update', [{ ...shop, name: 'Bad Name' }], 'x'))).rejects.toThrow(/applications\[0\]\.name: 'Bad Name' must be/);
    expect(await store.config.listApplications()).toEqual(before);
  });

  test('delete leaves the data in place', async () => {
    const store = createDynamoStore(ctx);
    const before = await store.config.listApplications();
    expect(await handler(event('Delete', [], 'the-id'))).toEqual({ PhysicalResourceId: 'the-id' });
    expect(await store.config.listApplications()).toEqual(before);
  });
});
