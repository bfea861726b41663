import { createServer, Server } from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { LOG_BINDING_PENDING, LogRecord, Store, formatBuildLogLine, formatPhaseMarker, liveLogBatch } from '../../src/runtime/core';
import { ingestTokenHash, newIngestToken } from '../../src/runtime/core/ingest-token';
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
/** DEPLOYMENT's task (an ECS task ARN) and the ingest token it was started with. */
const TASK_ID = '0123456789abcdef0123456789abcdef';
const TOKEN = newIngestToken();
const taskArn = (id: string) => `arn:aws:ecs:eu-west-1:111122223333:task/trellis-cluster/${id}`;
/** The awslogs driver's stream name for a build task (streamPrefix 'build', container 'builder'). */
const streamOf = (id: string) => `build/builder/${id}`;
const ENV = ['TRELLIS_INGEST_PATH', 'TABLE_NAME', 'CONNECTIONS_ENDPOINT', 'LOG_RETENTION_DAYS', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];

/** A CloudWatch Logs subscription delivery, as Lambda receives it: base64 of gzip of JSON. */
function subscriptionEvent(messages: string[], messageType = 'DATA_MESSAGE', logStream = streamOf(TASK_ID)) {
  const data = {
    messageType,
    owner: '111122223333',
    logGroup: '/aws/ecs/trellis-build',
    logStream,
    subscriptionFilters: ['TrellisLogsArchive'],
    logEvents: messages.map((message, i) => ({ id: `3719566386089755${String(i).padStart(4, '0')}`, timestamp: 1772366400000 + i, message })),
  };
  return { awslogs: { data: gzipSync(JSON.stringify(data)).toString('base64') } };
}

/** The path the function under test serves (the construct makes one function per path). */
const servingPath = (served: 'live' | 'archive') => { process.env.TRELLIS_INGEST_PATH = served; };

describe('log-ingest handler bundle', () => {
  type Handler = (event: unknown) => Promise<{ stored: number; next?: number; rejected?: true }>;
  let bundled: Handler;
  let handler: Handler;
  let store: Store;
  let management: Server;
  const posted: Array<{ connectionId: string; message: { type: string; records?: LogRecord[] } }> = [];
  const goneConnections = new Set<string>();

  beforeAll(async () => {
    const ctx = await freshTable('log-ingest');
    store = createDynamoStore(ctx);
    await store.deployments.create(queuedDeployment(DEPLOYMENT, 'shop', 'dev'));
    await store.deployments.transition(DEPLOYMENT, 'running');
    await store.deployments.attachTask(DEPLOYMENT, taskArn(TASK_ID), ingestTokenHash(TOKEN));
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
    bundled = require(BUNDLE).handler;
    // Each event goes to the function of its path, as the construct routes them.
    handler = event => {
      servingPath(typeof event === 'object' && event !== null && 'awslogs' in event ? 'archive' : 'live');
      return bundled(event);
    };
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
    const result = await handler(liveLogBatch(DEPLOYMENT, TOKEN, [record(3), leaky, record(3)]));
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

  /**
   * A build of app "shop" (DEPLOYMENT, with its own token and task) writes records for a
   * deployment of app "blog": a phase marker that would turn blog's deploy phase into failed
   * (phases feed the artifact a rollback redeploys) and a line of text.
   */
  describe('records for another deployment are dropped and counted', () => {
    const OTHER = depId(2);
    const OTHER_TASK = 'fedcba9876543210fedcba9876543210';
    const OTHER_TOKEN = newIngestToken();
    const at = '2026-03-01T12:00:00.000Z';
    const forged: LogRecord[] = [
      { seq: 0, at, stream: 'system', text: formatPhaseMarker({ phase: 'deploy', event: 'end', at, outcome: 'failed', detail: 'forged' }) },
      { seq: 1, at, stream: 'stdout', text: 'written by another app' },
    ];
    const own: LogRecord[] = [
      { seq: 0, at, stream: 'system', text: formatPhaseMarker({ phase: 'deploy', event: 'start', at }) },
      { seq: 1, at, stream: 'stdout', text: 'blog deploying' },
    ];
    let printed: unknown[];
    let spy: jest.SpyInstance;

    beforeAll(async () => {
      await store.deployments.create(queuedDeployment(OTHER, 'blog', 'prod'));
      await store.deployments.transition(OTHER, 'running');
      await store.deployments.attachTask(OTHER, taskArn(OTHER_TASK), ingestTokenHash(OTHER_TOKEN));
    });
    beforeEach(() => {
      printed = [];
      spy = jest.spyOn(console, 'log').mockImplementation((line: unknown) => { printed.push(JSON.parse(String(line))); });
    });
    afterEach(() => spy.mockRestore());

    const forgedCounts = () => printed.filter((entry): entry is Record<string, unknown> =>
      (entry as { message?: string }).message === 'forged log records dropped');
    const untouched = async () => {
      expect((await store.logs.read(OTHER)).records).toEqual([]);
      expect((await store.deployments.get(OTHER))?.phases).toBeUndefined();
    };

    test.each<[string, string | undefined]>([
      ["the sending build's own token", TOKEN],
      ['no token', undefined],
      ['a random token', newIngestToken()],
      ['the hash of the right token', ingestTokenHash(OTHER_TOKEN)],
      ['an empty token', ''],
    ])('live: a batch for it with %s is dropped, counted, and not an error (no retry storm)', async (_label, token) => {
      const batch = { kind: 'trellis-log-batch', deploymentId: OTHER, ...(token !== undefined && { ingestToken: token }), records: forged };
      expect(await handler(batch)).toEqual({ stored: 0, rejected: true });
      await untouched();
      const counted = forgedCounts();
      expect(counted).toEqual([expect.objectContaining({ path: 'live', deployment: OTHER, dropped: 2, ForgedLogRecords: 2 })]);
      // An Embedded Metric Format record: CloudWatch counts ForgedLogRecords in the Trellis namespace.
      expect(counted[0]._aws).toEqual({
        Timestamp: expect.any(Number),
        CloudWatchMetrics: [{ Namespace: 'Trellis', Dimensions: [[]], Metrics: [{ Name: 'ForgedLogRecords', Unit: 'Count' }] }],
      });
      // Neither token nor hash reaches the function's log.
      expect(JSON.stringify(printed)).not.toContain(OTHER_TOKEN);
      expect(JSON.stringify(printed)).not.toContain(ingestTokenHash(OTHER_TOKEN));
    });

    test('live: a batch for a deployment that does not exist is dropped and counted', async () => {
      expect(await handler(liveLogBatch(depId(404), TOKEN, forged))).toEqual({ stored: 0, rejected: true });
      expect(forgedCounts()).toEqual([expect.objectContaining({ path: 'live', deployment: depId(404), dropped: 2 })]);
    });

    test("archive: lines from the shop build's log stream naming the blog deployment are dropped and counted; its own are stored", async () => {
      const lines = [...forged.map(r => formatBuildLogLine(OTHER, r)), formatBuildLogLine(DEPLOYMENT, record(5))];
      expect(await handler(subscriptionEvent(lines, 'DATA_MESSAGE', streamOf(TASK_ID)))).toEqual({ stored: 1 });
      await untouched();
      expect((await store.logs.read(DEPLOYMENT, { from: 5 })).records).toEqual([record(5)]);
      expect(forgedCounts()).toEqual([expect.objectContaining({ path: 'archive', deployment: OTHER, dropped: 2, logStream: streamOf(TASK_ID), ForgedLogRecords: 2 })]);
      // A stream that names no task is no deployment's either.
      expect(await handler(subscriptionEvent(lines.slice(0, 2), 'DATA_MESSAGE', 'agent'))).toEqual({ stored: 0 });
      await untouched();
    });

    test('a build invoking the live function with an archive-shaped event naming the blog task\'s stream is refused and counted', async () => {
      // What a build role may invoke: the live function. It names the victim's own stream.
      servingPath('live');
      expect(await bundled(subscriptionEvent(forged.map(r => formatBuildLogLine(OTHER, r)), 'DATA_MESSAGE', streamOf(OTHER_TASK))))
        .toEqual({ stored: 0, rejected: true });
      await untouched();
      expect(forgedCounts()).toEqual([expect.objectContaining({ path: 'archive', ForgedLogRecords: 1 })]);
      // And the archive function takes no live batch, even one with the right token.
      servingPath('archive');
      expect(await bundled(liveLogBatch(OTHER, OTHER_TOKEN, forged))).toEqual({ stored: 0, rejected: true });
      await untouched();
    });

    test("the blog build's own records are stored: live with its token, archive from its task's stream", async () => {
      expect(await handler(liveLogBatch(OTHER, OTHER_TOKEN, own.slice(0, 1)))).toEqual({ stored: 1, next: 1 });
      const archived = own.map(r => formatBuildLogLine(OTHER, r));
      expect(await handler(subscriptionEvent(archived, 'DATA_MESSAGE', streamOf(OTHER_TASK)))).toEqual({ stored: 1 });
      expect((await store.logs.read(OTHER)).records).toEqual(own);
      expect((await store.deployments.get(OTHER))?.phases).toEqual([expect.objectContaining({ phase: 'deploy', outcome: 'running' })]);
      expect(forgedCounts()).toEqual([]);
    });

    test('a running deployment with no task recorded yet: both paths fail so the batch is sent again, after storing what is bound', async () => {
      const starting = depId(3);
      await store.deployments.create(queuedDeployment(starting, 'wiki', 'dev'));
      await store.deployments.transition(starting, 'running');
      const token = newIngestToken();
      await expect(handler(liveLogBatch(starting, token, own))).rejects.toMatchObject({ name: LOG_BINDING_PENDING });
      // One delivery with its lines and another build's own: the other's are stored, then the delivery fails.
      const lines = [formatBuildLogLine(starting, own[1]), formatBuildLogLine(DEPLOYMENT, record(6))];
      await expect(handler(subscriptionEvent(lines, 'DATA_MESSAGE', streamOf(TASK_ID)))).rejects.toMatchObject({ name: LOG_BINDING_PENDING });
      expect((await store.logs.read(DEPLOYMENT, { from: 6 })).records).toEqual([record(6)]);
      expect((await store.logs.read(starting)).records).toEqual([]);

      // Its launch records the task: the redelivery and the repeated batch are stored.
      const TASK = '00000000000000000000000000000003';
      await store.deployments.attachTask(starting, taskArn(TASK), ingestTokenHash(token));
      expect(await handler(liveLogBatch(starting, token, own.slice(0, 1)))).toEqual({ stored: 1, next: 1 });
      expect(await handler(subscriptionEvent([formatBuildLogLine(starting, own[1])], 'DATA_MESSAGE', streamOf(TASK)))).toEqual({ stored: 1 });
      // The same lines redelivered from another task's stream are forged now that the task is known.
      expect(await handler(subscriptionEvent(lines, 'DATA_MESSAGE', streamOf(TASK_ID)))).toEqual({ stored: 0 });
      expect(forgedCounts()).toEqual([expect.objectContaining({ path: 'archive', deployment: starting, dropped: 1 })]);
      expect((await store.logs.read(starting)).records).toEqual(own);
    });

    test('a deployment that never got a task (queued, or ended without one) takes no records and asks for no retry', async () => {
      const queued = depId(4);
      await store.deployments.create(queuedDeployment(queued, 'wiki', 'prod'));
      expect(await handler(liveLogBatch(queued, newIngestToken(), forged))).toEqual({ stored: 0, rejected: true });
      expect(await handler(subscriptionEvent([formatBuildLogLine(queued, forged[0])], 'DATA_MESSAGE', streamOf(TASK_ID)))).toEqual({ stored: 0 });
      expect((await store.logs.read(queued)).records).toEqual([]);
      expect(forgedCounts().map(entry => entry.path)).toEqual(['live', 'archive']);
    });
  });
});
