import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { WEB } from './harness';
import { JwtAuthenticator } from '../../src/runtime/auth/jwt-authenticator';
import { systemClock } from '../../src/runtime/core/ports';
import { handleSocketEvent } from '../../src/runtime/logs/socket-handler';
import { createDynamoStore } from '../../src/runtime/store/dynamo-store';
import { queuedDeployment } from '../store/fixtures';
import { httpApiEvent } from '../support/http-api-event';
import { JwksServer, TestIssuer, createTestIssuer, serveJwks } from '../support/jwt';
import { freshTable } from '../support/test-table';

const ENV = ['TABLE_NAME', 'QUEUE_URL', 'TRELLIS_INSTALLATION', 'AUTH_ISSUER', 'AUTH_AUDIENCE', 'AUTH_JWKS_URL', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];
const DEPLOYMENT = '20260301T120000000Z-0000abcd';

/** The handler's event mapping, with the DynamoDB store on DynamoDB Local (these routes need no other AWS service). */
describe('control-api.lambda', () => {
  let handler: (event: APIGatewayProxyEventV2) => Promise<{ statusCode?: number; body?: string; headers?: unknown }>;
  let idp: TestIssuer;
  let jwks: JwksServer;
  let store: ReturnType<typeof createDynamoStore>;
  const logged: string[] = [];
  let consoleLog: jest.SpyInstance;

  beforeAll(async () => {
    idp = createTestIssuer();
    jwks = await serveJwks(idp.jwks);
    const ctx = await freshTable('control-api');
    store = createDynamoStore(ctx);
    await store.config.syncApplications([WEB]);
    await store.deployments.create(queuedDeployment(DEPLOYMENT, 'web', 'dev'));
    Object.assign(process.env, {
      TABLE_NAME: ctx.tableName,
      QUEUE_URL: 'http://127.0.0.1:9/queue/unused',
      TRELLIS_INSTALLATION: 'acme',
      // The function verifies each request itself (CONTROL_API_ENV's auth names).
      AUTH_ISSUER: idp.issuer,
      AUTH_AUDIENCE: idp.audience,
      AUTH_JWKS_URL: jwks.url,
      AWS_ENDPOINT_URL_DYNAMODB: process.env.TRELLIS_TEST_DYNAMODB_ENDPOINT,
      AWS_REGION: 'local',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = require('../../src/runtime/handlers/control-api.lambda').handler;
  });

  afterAll(async () => {
    for (const name of ENV) delete process.env[name];
    await jwks.close();
  });

  beforeEach(() => {
    logged.splice(0);
    // The handler logs JSON lines on stdout (CloudWatch Logs): keep them to read.
    consoleLog = jest.spyOn(console, 'log').mockImplementation((line: string) => void logged.push(line));
  });

  afterEach(() => consoleLog.mockRestore());

  interface EventOptions {
    /** A token (a JWT or an API token), sent in the Authorization header. */
    readonly token?: string;
    /** The Authorization header, when it is not `Bearer <token>`. */
    readonly authorization?: string;
    readonly body?: string;
    readonly base64?: boolean;
  }

  /** A token from the test issuer with these groups (and claims). */
  function token(groups: readonly string[], claims: Record<string, unknown> = {}): string {
    return idp.sign({ 'email': 'ada@example.com', 'cognito:groups': groups, ...claims });
  }

  /** The event API Gateway (payload 2.0) sends: header names in lower case, no authorizer (the function verifies the header). */
  function event(method: string, rawPath: string, options: EventOptions = {}): APIGatewayProxyEventV2 {
    const authorization = options.authorization ?? (options.token ? `Bearer ${options.token}` : undefined);
    return httpApiEvent(method, rawPath, {
      routeKey: 'ANY /api/{proxy+}',
      headers: { 'host': 'abc123.execute-api.eu-west-1.amazonaws.com', 'user-agent': 'jest', ...authorization !== undefined && { authorization } },
      isBase64Encoded: options.base64,
      body: options.body,
    });
  }

  test('health without a token; everything else needs a token that verifies', async () => {
    expect(await handler(event('GET', '/api/health'))).toMatchObject({ statusCode: 200, body: '{"ok":true}' });
    const bare = await handler(event('GET', '/api/me'));
    expect([bare.statusCode, JSON.parse(bare.body!).reason]).toEqual([401, 'sign in: this API needs a bearer token']);
  });

  test("the verified token's claims become the principal", async () => {
    const response = await handler(event('GET', '/api/me', { token: token(['admin', 'viewer:web'], { sub: 'u-1' }) }));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body!)).toEqual({ subject: 'u-1', name: 'ada@example.com', grants: [{ role: 'admin', application: '*' }, { role: 'viewer', application: 'web' }] });
  });

  test('a group named "release admin" is not admin; the WebSocket path agrees', async () => {
    const jwt = token(['release admin'], { sub: 'u-7' });
    const response = await handler(event('GET', '/api/me', { token: jwt }));
    expect(response.statusCode).toBe(200);
    const http = JSON.parse(response.body!);
    expect(http).toEqual({ subject: 'u-7', name: 'ada@example.com', grants: [] });
    expect(logged.map(line => JSON.parse(line))).toContainEqual(expect.objectContaining({ message: 'group refused', subject: 'u-7', group: 'release admin' }));
    // Admin-only: refused.
    const settings = await handler(event('PUT', '/api/apps/web/environments/dev/settings', { token: jwt, body: '{}' }));
    expect(settings.statusCode).toBe(403);

    // The same token on the WebSocket path: the connection's stored principal is the same.
    const authenticator = new JwtAuthenticator({ issuer: idp.issuer, audiences: [idp.audience], jwksUrl: jwks.url });
    const connected = await handleSocketEvent({ kind: 'connect', connectionId: 'conn-release-admin', token: jwt }, {
      store, sink: { send: async () => 'sent' }, authenticator, clock: systemClock, log: () => undefined,
    });
    expect(connected.statusCode).toBe(200);
    expect((await store.connections.get('conn-release-admin'))?.principal).toEqual(http);
  });

  test('the same principal on both paths for a token with real grants', async () => {
    const jwt = token(['deployer:web', 'viewer', 'admin:*'], { sub: 'u-8', name: 'Grace' });
    const http = JSON.parse((await handler(event('GET', '/api/me', { token: jwt }))).body!);
    expect(http).toEqual({ subject: 'u-8', name: 'Grace', grants: [{ role: 'deployer', application: 'web' }, { role: 'viewer', application: '*' }] });
    const authenticator = new JwtAuthenticator({ issuer: idp.issuer, audiences: [idp.audience], jwksUrl: jwks.url });
    await expect(authenticator.authenticate(jwt)).resolves.toEqual(http);
  });

  test('"admin:*" grants nothing', async () => {
    const jwt = token(['admin:*'], { sub: 'u-9' });
    const me = JSON.parse((await handler(event('GET', '/api/me', { token: jwt }))).body!);
    expect(me.grants).toEqual([]);
    expect((await handler(event('GET', `/api/deployments/${DEPLOYMENT}`, { token: jwt }))).statusCode).toBe(403);
  });

  test('a token the function cannot verify: 401, whatever is wrong with it', async () => {
    const forger = createTestIssuer({ issuer: idp.issuer, audience: idp.audience, kid: idp.kid });
    const stranger = createTestIssuer({ issuer: 'https://other.example', audience: idp.audience, kid: idp.kid });
    const expired = idp.sign({ 'sub': 'u-1', 'cognito:groups': ['admin'], 'exp': Math.floor(Date.now() / 1000) - 3600 });
    for (const authorization of [
      `Bearer ${forger.sign({ 'sub': 'root', 'cognito:groups': ['admin'] })}`,
      `Bearer ${stranger.sign({ 'sub': 'root', 'cognito:groups': ['admin'] })}`,
      `Bearer ${idp.sign({ 'sub': 'root', 'aud': 'another-client', 'cognito:groups': ['admin'] })}`,
      `Bearer ${expired}`,
      'Bearer not-a-jwt',
      `Basic ${Buffer.from('ada:pw').toString('base64')}`,
    ]) {
      expect({ authorization, status: (await handler(event('GET', '/api/me', { authorization }))).statusCode }).toEqual({ authorization, status: 401 });
    }
    // A refused token hears why (its holder may know it): not the bare "sign in" of a request without one.
    const late = await handler(event('GET', '/api/me', { authorization: `Bearer ${expired}` }));
    expect(JSON.parse(late.body!).reason).toBe('the token was refused: the token has expired');
  });

  test('an API token is verified by the function: its role on its application; revoked, 401', async () => {
    const admin = token(['admin'], { sub: 'u-admin' });
    const created = await handler(event('POST', '/api/tokens', { token: admin, body: JSON.stringify({ name: 'ci', role: 'viewer', application: 'web' }) }));
    expect(created.statusCode).toBe(201);
    const { id, token: apiToken } = JSON.parse(created.body!) as { id: string; token: string };
    expect(JSON.parse((await handler(event('GET', '/api/me', { token: apiToken }))).body!)).toMatchObject({ name: 'token ci', grants: [{ application: 'web', role: 'viewer' }] });
    expect((await handler(event('GET', `/api/deployments/${DEPLOYMENT}`, { token: apiToken }))).statusCode).toBe(200);
    expect((await handler(event('POST', '/api/apps/web/environments/dev/deploy', { token: apiToken, body: '{}' }))).statusCode).toBe(403);
    expect((await handler(event('DELETE', `/api/tokens/${id}`, { token: admin }))).statusCode).toBe(200);
    const revoked = await handler(event('GET', '/api/me', { token: apiToken }));
    expect([revoked.statusCode, JSON.parse(revoked.body!).reason]).toEqual([401, 'the token was refused: the API token is unknown, revoked or expired']);
    const lines = logged.join('\n');
    expect(lines).toContain(`"token":"${id}"`);
    expect(lines).not.toContain(apiToken.slice(`trellis_${id}_`.length));
  });

  test('the store is the table named in TABLE_NAME', async () => {
    const response = await handler(event('GET', '/api/apps/web/environments/dev/deployments', { token: token(['viewer']) }));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body!).items.map((d: { id: string }) => d.id)).toEqual([DEPLOYMENT]);
    const forbidden = await handler(event('GET', `/api/deployments/${DEPLOYMENT}`, { token: token(['viewer:api']) }));
    expect(forbidden.statusCode).toBe(403);
  });

  test('a base64 body is decoded before parsing', async () => {
    const response = await handler(event('POST', '/api/deployments/latest/cancel', { token: token([]), body: Buffer.from('{"x":1}').toString('base64'), base64: true }));
    // Parsed (a body that is not JSON would say so); the id is checked first.
    expect(JSON.parse(response.body!)).toEqual({ error: 'invalid_input', reason: "id: 'latest' is not a deployment id" });
  });
});
