import { createServer, Server } from 'http';
import { AddressInfo } from 'net';
import { TestClient } from './socket-client';
import { LocalSocketServer } from '../../src/local/socket-server';
import { JwtAuthenticator } from '../../src/runtime/auth/jwt-authenticator';
import { LogSink, ServerMessage, Store, systemClock } from '../../src/runtime/core';
import { ingestLogs } from '../../src/runtime/logs/ingest-logs';
import { depId, queuedDeployment } from '../store/fixtures';
import { records } from '../store/log-records';
import { eventually } from '../support/eventually';
import { createTestIssuer } from '../support/jwt';
import { freshStore } from '../support/test-table';

const SHOP = depId(1);
const BLOG = depId(2);
const AUDIENCE = 'trellis-dashboard';

describe('live logs over a real WebSocket (local server, DynamoDB Local)', () => {
  let store: Store;
  let server: Server;
  let live: LocalSocketServer;
  let url: string;
  let issuer: ReturnType<typeof createTestIssuer>;
  const clients: TestClient[] = [];
  const log = () => undefined;

  beforeEach(async () => {
    ({ store } = await freshStore());
    await store.deployments.create(queuedDeployment(SHOP, 'shop', 'dev'));
    await store.deployments.create(queuedDeployment(BLOG, 'blog', 'dev'));
    issuer = createTestIssuer();
    server = createServer((request, response) => {
      if (request.url === '/jwks.json') {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify(issuer.jwks));
      } else {
        response.statusCode = 404;
        response.end();
      }
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const authenticator = new JwtAuthenticator({ issuer: issuer.issuer, audiences: [AUDIENCE], jwksUrl: `http://${base}/jwks.json` });
    live = new LocalSocketServer({ store, authenticator, clock: systemClock, log });
    live.attach(server);
    url = `ws://${base}/live`;
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map(client => client.close()));
    live.close();
    await new Promise(resolve => server.close(resolve));
  });

  function tokenFor(groups: string[], claims: Record<string, unknown> = {}): string {
    return issuer.sign({ 'aud': AUDIENCE, 'sub': 'user-1', 'name': 'Dev One', 'cognito:groups': groups, ...claims });
  }

  async function connect(groups = ['viewer:shop']): Promise<TestClient> {
    const client = await TestClient.connect(`${url}?token=${tokenFor(groups)}`);
    clients.push(client);
    return client;
  }

  function ingest(deploymentId: string, from: number, to: number, sink: LogSink = live) {
    return ingestLogs(deploymentId, records(from, to), { store, sink, clock: systemClock, retentionDays: 1, log });
  }

  test('a connection without a valid token is refused at the handshake with 401 and a reason', async () => {
    const attempts = [
      url,
      `${url}?token=`,
      `${url}?token=not.a.jwt`,
      `${url}?token=${tokenFor(['viewer:shop'], { exp: Math.floor(Date.now() / 1000) - 3600 })}`,
      `${url}?token=${tokenFor(['viewer:shop'], { aud: 'someone-else' })}`,
      `${url}?token=${createTestIssuer().sign({ aud: AUDIENCE, sub: 'mallory' })}`,
    ];
    for (const attempt of attempts) {
      const refused = await TestClient.connect(attempt).then(() => undefined, error => error);
      expect(refused).toMatchObject({ status: 401 });
      expect(JSON.parse(refused.body)).toMatchObject({ error: 'unauthorized', reason: expect.any(String) });
    }
    expect(live.connections).toBe(0);
    // The same server lets a valid token in.
    await connect();
    expect(live.connections).toBe(1);
  });

  test('subscribing to another application\'s deployment is refused and delivers nothing', async () => {
    const client = await connect(['viewer:shop']);
    client.subscribe(BLOG);
    await client.until(() => client.messages.some(m => m.type === 'error'));
    expect(client.messages).toEqual([expect.objectContaining({ type: 'error', status: 403, deploymentId: BLOG })]);
    expect(await store.connections.subscribers(BLOG)).toEqual([]);

    await ingest(BLOG, 0, 50);
    client.subscribe(SHOP);
    await client.until(() => client.messages.some(m => m.type === 'subscribed'));
    expect(client.messages.filter(m => m.type === 'log')).toEqual([]);
  });

  test('invalid messages get a 400 error with the reason; unknown deployments a 404', async () => {
    const client = await connect();
    client.send('not json');
    client.send({ action: 'subscribe', deploymentId: '../../etc/passwd' });
    client.send({ action: 'subscribe', deploymentId: depId(77) });
    await client.until(() => client.messages.length === 3);
    expect(client.messages).toEqual([
      expect.objectContaining({ type: 'error', status: 400, reason: expect.stringContaining('message') }),
      expect.objectContaining({ type: 'error', status: 400, reason: expect.stringContaining('deploymentId') }),
      expect.objectContaining({ type: 'error', status: 404 }),
    ]);
  });

  test('a client that connects mid-build gets the backlog, then live lines: every line once, in order', async () => {
    await ingest(SHOP, 0, 3000);
    // The build goes on while the client subscribes.
    const producer = (async () => {
      for (let from = 3000; from < 8000; from += 100) await ingest(SHOP, from, from + 100);
    })();
    const client = await connect();
    client.subscribe(SHOP);
    await producer;
    await client.until(() => client.next === 8000);
    expect(client.assembled).toEqual(records(0, 8000));
    expect(client.messages.some(m => m.type === 'subscribed')).toBe(true);

    // Subscribing from a seq sends only what comes after it.
    const late = await connect();
    late.subscribe(SHOP, 7990);
    await late.until(() => late.messages.some(m => m.type === 'subscribed'));
    const lines = late.messages.flatMap(m => (m.type === 'log' ? m.records : []));
    expect(lines.map(r => r.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 7990 + i));
  });

  test('a gone connection is removed and delivery to the others goes on', async () => {
    const client = await connect();
    client.subscribe(SHOP);
    await client.until(() => client.messages.some(m => m.type === 'subscribed'));
    // A connection API Gateway no longer knows (its $disconnect was missed).
    await store.connections.put({ connectionId: 'gone-1', principal: { subject: 'x', name: 'x', grants: [] } }, 2_000_000_000);
    await store.connections.subscribe('gone-1', SHOP, 2_000_000_000);

    await ingest(SHOP, 0, 20);
    await client.until(() => client.next === 20);
    expect(await store.connections.subscribers(SHOP)).toHaveLength(1);
    expect(await store.connections.get('gone-1')).toBeUndefined();
    await ingest(SHOP, 20, 40);
    await client.until(() => client.next === 40);
    expect(client.assembled).toEqual(records(0, 40));
  });

  test('a slow client does not hold up the others', async () => {
    const fast = await connect();
    const slow = await connect();
    fast.subscribe(SHOP);
    slow.subscribe(SHOP);
    await fast.until(() => fast.messages.some(m => m.type === 'subscribed'));
    await slow.until(() => slow.messages.some(m => m.type === 'subscribed'));
    const slowIds = new Set<string>();
    // The first connection sent to is held until the test lets it go: a client that never reads.
    let release!: () => void;
    const gate = new Promise<void>(resolve => { release = resolve; });
    const sink: LogSink = {
      send: async (connectionId, message) => {
        if (slowIds.size === 0) slowIds.add(connectionId);
        if (slowIds.has(connectionId)) await gate;
        return live.send(connectionId, message);
      },
    };
    let fanOutDone = false;
    const fanOut = ingest(SHOP, 0, 10, sink).then(() => { fanOutDone = true; });
    // The other client gets every line while the slow one is still stuck.
    await Promise.race([fast.until(() => fast.next === 10), slow.until(() => slow.next === 10)]);
    expect([fast.next, slow.next].sort()).toEqual([0, 10]);
    expect(fanOutDone).toBe(false);
    release();
    await fanOut;
    await fast.until(() => fast.next === 10);
    await slow.until(() => slow.next === 10);
  });

  test('unsubscribe and disconnect stop delivery and clean up the store', async () => {
    const client = await connect();
    client.subscribe(SHOP);
    await client.until(() => client.messages.some(m => m.type === 'subscribed'));
    client.send({ action: 'unsubscribe', deploymentId: SHOP });
    await client.until(() => client.messages.some(m => m.type === 'unsubscribed'));
    await ingest(SHOP, 0, 5);
    expect(await store.connections.subscribers(SHOP)).toEqual([]);

    client.subscribe(SHOP);
    await client.until(() => client.messages.filter((m: ServerMessage) => m.type === 'subscribed').length === 2);
    expect(client.next).toBe(5);
    await client.close();
    await eventually('the closed connection to be unsubscribed', async () => (await store.connections.subscribers(SHOP)).length === 0, 20_000);
  });
});
