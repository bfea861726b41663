import { NewApiToken } from '../../src/runtime/core/api-tokens';
import { createDynamoStore } from '../../src/runtime/store/dynamo-store';
import { storedApiToken } from '../store/fixtures';
import { freshTable } from '../support/test-table';

const ENV = ['TABLE_NAME', 'CONNECTIONS_ENDPOINT', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];

/** The log socket function's $connect takes an API token, from the query or an Authorization header. */
describe('log-socket.lambda: API tokens', () => {
  let handler: (event: unknown) => Promise<{ statusCode: number; body: string }>;
  let store: ReturnType<typeof createDynamoStore>;
  let made: NewApiToken;
  const logged: string[] = [];
  let consoleLog: jest.SpyInstance;

  beforeAll(async () => {
    const ctx = await freshTable('log-socket');
    store = createDynamoStore(ctx);
    made = await storedApiToken(store);
    Object.assign(process.env, {
      TABLE_NAME: ctx.tableName,
      CONNECTIONS_ENDPOINT: 'http://127.0.0.1:9/unused',
      AWS_ENDPOINT_URL_DYNAMODB: process.env.TRELLIS_TEST_DYNAMODB_ENDPOINT,
      AWS_REGION: 'local',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = require('../../src/runtime/handlers/log-socket.lambda').handler;
  });

  afterAll(() => {
    for (const name of ENV) delete process.env[name];
  });

  beforeEach(() => {
    logged.splice(0);
    consoleLog = jest.spyOn(console, 'log').mockImplementation((line: string) => void logged.push(line));
  });
  afterEach(() => consoleLog.mockRestore());

  const connect = (connectionId: string, query?: Record<string, string>, headers?: Record<string, string>) => handler({
    requestContext: { routeKey: '$connect', connectionId, eventType: 'CONNECT' },
    queryStringParameters: query,
    headers,
  });

  test('a token in the query or the Authorization header opens a connection as the token; a wrong one is refused', async () => {
    expect((await connect('c-query', { token: made.token })).statusCode).toBe(200);
    expect((await connect('c-header', undefined, { Authorization: `Bearer ${made.token}` })).statusCode).toBe(200);
    expect((await store.connections.get('c-header'))?.principal).toEqual({
      subject: `token:${made.id}`, name: 'token ci', grants: [{ application: 'web', role: 'viewer' }], apiToken: made.id,
    });
    const wrong = made.token.replace(/.$/, last => (last === 'A' ? 'B' : 'A'));
    expect(await connect('c-wrong', { token: wrong })).toEqual({ statusCode: 401, body: 'the API token is unknown, revoked or expired' });
    // No identity provider is configured here: JWTs are refused, as before.
    expect((await connect('c-jwt', undefined, { authorization: 'Bearer a.b.c' })).statusCode).toBe(401);
    expect(logged.join('\n')).not.toContain(made.token.slice(`trellis_${made.id}_`.length));
  });
});
