import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { WEB } from './harness';
import { createDynamoStore } from '../../src/runtime/store/dynamo-store';
import { queuedDeployment } from '../store/fixtures';
import { freshTable } from '../support/test-table';

const ENV = ['TABLE_NAME', 'QUEUE_URL', 'TRELLIS_INSTALLATION', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];
const DEPLOYMENT = '20260301T120000000Z-0000abcd';

/** The handler's event mapping, with the DynamoDB store on DynamoDB Local (these routes need no other AWS service). */
describe('control-api.lambda', () => {
  let handler: (event: APIGatewayProxyEventV2WithJWTAuthorizer) => Promise<{ statusCode?: number; body?: string; headers?: unknown }>;

  beforeAll(async () => {
    const ctx = await freshTable('control-api');
    const store = createDynamoStore(ctx);
    await store.config.syncApplications([WEB]);
    await store.deployments.create(queuedDeployment(DEPLOYMENT, 'web', 'dev'));
    Object.assign(process.env, {
      TABLE_NAME: ctx.tableName,
      QUEUE_URL: 'http://127.0.0.1:9/queue/unused',
      TRELLIS_INSTALLATION: 'acme',
      AWS_ENDPOINT_URL_DYNAMODB: process.env.TRELLIS_TEST_DYNAMODB_ENDPOINT,
      AWS_REGION: 'local',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = require('../../src/runtime/handlers/control-api.lambda').handler;
  });

  afterAll(() => {
    for (const name of ENV) delete process.env[name];
  });

  interface EventOptions {
    readonly claims?: Record<string, string>;
    readonly body?: string;
    readonly base64?: boolean;
  }

  function event(method: string, rawPath: string, options: EventOptions = {}): APIGatewayProxyEventV2WithJWTAuthorizer {
    return {
      version: '2.0',
      routeKey: `${method} ${rawPath}`,
      rawPath,
      rawQueryString: '',
      headers: {},
      isBase64Encoded: options.base64 ?? false,
      body: options.body,
      requestContext: {
        http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'jest' },
        ...options.claims && { authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: options.claims, scopes: null } } },
      } as APIGatewayProxyEventV2WithJWTAuthorizer['requestContext'],
    } as APIGatewayProxyEventV2WithJWTAuthorizer;
  }

  test('health without a token; everything else needs the authorizer claims', async () => {
    expect(await handler(event('GET', '/api/health'))).toMatchObject({ statusCode: 200, body: '{"ok":true}' });
    expect((await handler(event('GET', '/api/me'))).statusCode).toBe(401);
  });

  test('claims become the principal, HTTP API group strings included', async () => {
    const response = await handler(event('GET', '/api/me', { claims: { 'sub': 'u-1', 'email': 'ada@example.com', 'cognito:groups': '[admin viewer:web]' } }));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body!)).toEqual({ subject: 'u-1', name: 'ada@example.com', grants: [{ role: 'admin', application: '*' }, { role: 'viewer', application: 'web' }] });
  });

  test('the store is the table named in TABLE_NAME', async () => {
    const response = await handler(event('GET', '/api/apps/web/environments/dev/deployments', { claims: { 'sub': 'u', 'cognito:groups': '[viewer]' } }));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body!).items.map((d: { id: string }) => d.id)).toEqual([DEPLOYMENT]);
    const forbidden = await handler(event('GET', `/api/deployments/${DEPLOYMENT}`, { claims: { 'sub': 'u', 'cognito:groups': '[viewer:api]' } }));
    expect(forbidden.statusCode).toBe(403);
  });

  test('a base64 body is decoded before parsing', async () => {
    const response = await handler(event('POST', '/api/deployments/latest/cancel', { claims: { sub: 'u' }, body: Buffer.from('{"x":1}').toString('base64'), base64: true }));
    // Parsed (a body that is not JSON would say so); the id is checked first.
    expect(JSON.parse(response.body!)).toEqual({ error: 'invalid_input', reason: "id: 'latest' is not a deployment id" });
  });
});
