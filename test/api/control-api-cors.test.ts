import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { WEB } from './harness';
import { CorsPolicy } from '../../src/runtime/api/cors';
import { createDynamoStore } from '../../src/runtime/store/dynamo-store';
import { httpApiEvent } from '../support/http-api-event';
import { freshTable } from '../support/test-table';

const ENV = ['TABLE_NAME', 'QUEUE_URL', 'TRELLIS_INSTALLATION', 'DASHBOARD_ORIGINS', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];
const DASHBOARD = 'https://d111111abcdef8.cloudfront.net';
const DEV_SERVER = 'http://localhost:5173';

type Result = { statusCode?: number; body?: string; headers?: Record<string, string | number | boolean> };

/**
 * The control API function answers CORS itself (the HTTP API has no CORS configuration, so the
 * dashboard's CSP can name the API's exact origin): the handler as Lambda runs it, with the
 * DASHBOARD_ORIGINS the Dashboard construct sets and the store on DynamoDB Local.
 */
describe('control-api.lambda CORS', () => {
  let handler: (event: APIGatewayProxyEventV2WithJWTAuthorizer) => Promise<Result>;

  beforeAll(async () => {
    const ctx = await freshTable('control-api-cors');
    await createDynamoStore(ctx).config.syncApplications([WEB]);
    Object.assign(process.env, {
      TABLE_NAME: ctx.tableName,
      QUEUE_URL: 'http://127.0.0.1:9/queue/unused',
      TRELLIS_INSTALLATION: 'acme',
      DASHBOARD_ORIGINS: `${DASHBOARD} ${DEV_SERVER}`,
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

  function event(method: string, rawPath: string, headers: Record<string, string>): APIGatewayProxyEventV2WithJWTAuthorizer {
    return httpApiEvent(method, rawPath, { headers });
  }

  function preflight(origin?: string): APIGatewayProxyEventV2WithJWTAuthorizer {
    return event('OPTIONS', '/api/apps/web/environments/dev/deploy', {
      ...origin === undefined ? {} : { origin },
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type',
    });
  }

  test('a preflight from the dashboard (or a callback URL\'s origin) gets the grant for exactly that origin', async () => {
    for (const origin of [DASHBOARD, DEV_SERVER]) {
      const response = await handler(preflight(origin));
      expect(response.statusCode).toBe(204);
      expect(response.headers).toEqual({
        'access-control-allow-origin': origin,
        'access-control-allow-methods': 'GET, POST, PUT, DELETE',
        'access-control-allow-headers': 'authorization, content-type',
        'access-control-max-age': '3600',
        'vary': 'origin',
      });
    }
  });

  test('a preflight from any other origin is refused without a grant', async () => {
    for (const origin of ['https://evil.example', 'https://d111111abcdef8.cloudfront.net.evil.example', 'http://d111111abcdef8.cloudfront.net', 'null', 'https://D111111ABCDEF8.cloudfront.net:8443']) {
      const response = await handler(preflight(origin));
      expect({ origin, status: response.statusCode }).toEqual({ origin, status: 403 });
      expect(Object.keys(response.headers ?? {}).filter(name => name.startsWith('access-control-'))).toEqual([]);
      expect(JSON.parse(response.body!).error).toBe('origin_not_allowed');
    }
    expect((await handler(preflight())).statusCode).toBe(403);
  });

  test('answers are readable by the dashboard\'s origin only; without an Origin (the CLI) no grant', async () => {
    const mine = await handler(event('GET', '/api/health', { origin: DASHBOARD }));
    expect(mine.statusCode).toBe(200);
    expect(mine.headers).toMatchObject({ 'access-control-allow-origin': DASHBOARD, 'vary': 'origin' });

    const theirs = await handler(event('GET', '/api/health', { origin: 'https://evil.example' }));
    expect(theirs.statusCode).toBe(200);
    expect(theirs.headers?.['access-control-allow-origin']).toBeUndefined();

    const cli = await handler(event('GET', '/api/health', {}));
    expect(cli).toMatchObject({ statusCode: 200, body: '{"ok":true}' });
    expect(cli.headers?.['access-control-allow-origin']).toBeUndefined();

    // The function's own refusals (no principal: 401) carry the grant too, so the page can read them.
    const unauthorized = await handler(event('GET', '/api/me', { Origin: DASHBOARD }));
    expect(unauthorized.statusCode).toBe(401);
    expect(unauthorized.headers?.['access-control-allow-origin']).toBe(DASHBOARD);
  });
});

describe('CorsPolicy', () => {
  test('an absent or empty list allows no origin', () => {
    expect(CorsPolicy.fromList(undefined).allows(DASHBOARD)).toBe(false);
    expect(CorsPolicy.fromList('').allows('')).toBe(false);
    expect(CorsPolicy.fromList(` ${DASHBOARD}  ${DEV_SERVER} `).allows(DEV_SERVER)).toBe(true);
  });
});
