import { createServer, Server } from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { LogRecord, Store, formatBuildLogLine, liveLogBatch } from '../../src/runtime/core';
import { createDynamoStore } from '../../src/runtime/store/dynamo-store';
import { depId, queuedDeployment } from '../store/fixtures';
import { record, records } from '../store/log-records';
import { freshTable } from '../support/test-table';

/**
 * The log-ingest bundle that ships in assets/, against DynamoDB Local and a local HTTP
 * server speaking the API Gateway management API (POST /@connections/{id}; 410 = gone).
 */
const BUNDLE = path.join(__dirname, '../../assets/runtime/handlers/log-ingest.lambda/index.js');
const DEPLOYMENT = depId(1);
const ENV = ['TABLE_NAME', 'CONNECTIONS_ENDPOINT', 'LOG_RETENTION_DAYS', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];

/** A CloudWatch Logs subscription delivery, as Lambda receives it: base64 of gzip of JSON. */
function subscriptionEvent(messages: string[], messageType = 'DATA_MESSAGE') {
  const data = {
    messageType,
    owner: '111122223333',
    logGroup: '/aws/ecs/trellis-build',
    logStream: 'builder/builder/0123456789abcdef0123456789abcdef',
    subscriptionFilters: ['TrellisLogsArchive'],
    logEvents: messages.map((message, i) => ({ id: `3719566386089755${String(i).padStart(4, '0')}`, timestamp: 1772366400000 + i, message })),
  };
  return { awslogs: { data: gzipSync(JSON.stringify(data)).toString('base64') } };
}

describe('log-ingest handler bundle', () => {
  let handler: (event: unknown) => Promise<{ stored: number; next?: number }>;
  let store: Store;
  let management: Server;
  const posted: Array<{ connectionId: string; message: { type: string; records?: LogRecord[] } }> = [];
  const goneConnections = new Set<string>();

  beforeAll(async () => {
    const ctx = await freshTable('log-ingest');
    store = createDynamoStore(ctx);
    await store.deployments.create(queuedDeployment(DEPLOYMENT, 'shop', 'dev'));
    management = createServer((request, response) => {
      let body = '';
      request.on('data', chunk => { body += chunk; });
      request.on('end', () => {
        const connectionId = decodeURIComponent((request.url ?? '').replace(/^.*\/@connections\//, ''));
        if (goneConnections.has(connectionId)) {
          response.statusCode = 410;
          response.setHeader('x-amzn-errortype', 'GoneException');
          response.end(JSON.stringify({ message: 'gone' }));
          return;
        }
        posted.push({ connectionId, message: JSON.parse(body) });
        response.end();
      });
    });
    await new Promise<void>(resolve => management.listen(0, '127.0.0.1', resolve));
    Object.assign(process.env, {
      TABLE_NAME: ctx.tableName,
      CONNECTIONS_ENDPOINT: `http://127.0.0.1:${(management.address() as AddressInfo).port}`,
      LOG_RETENTION_DAYS: '7',
      AWS_ENDPOINT_URL_DYNAMODB: process.env.TRELLIS_TEST_DYNAMODB_ENDPOINT,
      AWS_REGION: 'local',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = require(BUNDLE).handler;
  });

  afterAll(async () => {
    for (const name of ENV) delete process.env[name];
    await new Promise(resolve => management.close(resolve));
  });

  test('a subscription delivery (gzip + base64) is decoded and its records stored; other lines are skipped', async () => {
    const lines = [
      formatBuildLogLine(DEPLOYMENT, record(1)),
      'Fargate agent: container started', // not a record
      formatBuildLogLine(DEPLOYMENT, record(0)),
      formatBuildLogLine(depId(404), record(0)), // a deployment that does not exist
      formatBuildLogLine(DEPLOYMENT, record(2)),
    ];
    expect(await handler(subscriptionEvent(lines))).toEqual({ stored: 3 });
    expect((await store.logs.read(DEPLOYMENT)).records).toEqual(records(0, 3));
    expect(await handler(subscriptionEvent([], 'CONTROL_MESSAGE'))).toEqual({ stored: 0 });
  });

  test('a live batch is stored, masked, and posted to subscribers; a gone connection is removed', async () => {
    const principal = { subject: 'u', name: 'u', grants: [] };
    await store.connections.put({ connectionId: 'conn-live', principal }, 2_000_000_000);
    await store.connections.put({ connectionId: 'conn-gone', principal }, 2_000_000_000);
    await store.connections.subscribe('conn-live', DEPLOYMENT, 2_000_000_000);
    await store.connections.subscribe('conn-gone', DEPLOYMENT, 2_000_000_000);
    goneConnections.add('conn-gone');

    const leaky = record(4, 'export GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789');
    const result = await handler(liveLogBatch(DEPLOYMENT, [record(3), leaky, record(3)]));
    expect(result).toEqual({ stored: 2, next: 5 });

    const stored = (await store.logs.read(DEPLOYMENT, { from: 3 })).records;
    expect(stored.map(r => r.text)).toEqual(['line 3', 'export GITHUB_TOKEN=***']);
    expect(posted).toEqual([{ connectionId: 'conn-live', message: { type: 'log', deploymentId: DEPLOYMENT, records: stored } }]);
    expect(JSON.stringify(posted)).not.toContain('ghp_');
    expect(await store.connections.subscribers(DEPLOYMENT)).toEqual(['conn-live']);
  });

  test('the same lines from the archive after the live path stored them are dropped', async () => {
    posted.length = 0;
    const archive = records(0, 5).map(r => formatBuildLogLine(DEPLOYMENT, r));
    expect(await handler(subscriptionEvent(archive))).toEqual({ stored: 0 });
    expect(posted).toEqual([]);
    expect((await store.logs.read(DEPLOYMENT)).records).toHaveLength(5);
  });
});
