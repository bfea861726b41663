import { createServer, Server } from 'http';
import { AddressInfo } from 'net';
import { CuttingProxy } from './support/cutting-proxy';
import { CliError, EXIT } from '../../src/cli/exit-codes';
import { FollowLogOptions, followLog } from '../../src/cli/live-log';
import { LocalSocketServer } from '../../src/local/socket-server';
import { JwtAuthenticator } from '../../src/runtime/auth/jwt-authenticator';
import { Deployment, LogRecord, Store, systemClock } from '../../src/runtime/core';
import { ingestLogs } from '../../src/runtime/logs/ingest-logs';
import { depId, queuedDeployment } from '../store/fixtures';
import { records } from '../store/log-records';
import { eventually } from '../support/eventually';
import { createTestIssuer } from '../support/jwt';
import { freshStore } from '../support/test-table';

/**
 * The terminal's live log (src/cli/live-log.ts) against the local server's real WebSocket
 * endpoint on DynamoDB Local, through a proxy that cuts the connection as a network drop does.
 */

const SHOP = depId(1);
const BLOG = depId(2);
const AUDIENCE = 'trellis-dashboard';
const FAST = { pollMs: 50, backoff: { firstDelayMs: 20, maxDelayMs: 100 } };

describe('following a log over a WebSocket that drops', () => {
  let store: Store;
  let server: Server;
  let live: LocalSocketServer;
  let proxy: CuttingProxy;
  let issuer: ReturnType<typeof createTestIssuer>;
  const log = () => undefined;

  beforeEach(async () => {
    ({ store } = await freshStore());
    await store.deployments.create(queuedDeployment(SHOP, 'shop', 'dev'));
    await store.deployments.create(queuedDeployment(BLOG, 'blog', 'dev'));
    issuer = createTestIssuer();
    server = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(issuer.jwks));
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const authenticator = new JwtAuthenticator({ issuer: issuer.issuer, audiences: [AUDIENCE], jwksUrl: `${base}/jwks.json` });
    live = new LocalSocketServer({ store, authenticator, clock: systemClock, log });
    live.attach(server);
    proxy = await CuttingProxy.start(base);
  });

  afterEach(async () => {
    await proxy.close();
    live.close();
    await new Promise(resolve => server.close(resolve));
  });

  const token = (groups = ['viewer:shop']) => issuer.sign({ 'aud': AUDIENCE, 'sub': 'user-1', 'name': 'Dev One', 'cognito:groups': groups });
  const ingest = (from: number, to: number) => ingestLogs(SHOP, records(from, to), { store, sink: live, clock: systemClock, retentionDays: 1, log });

  /** followLog on SHOP through the proxy; `final` says when the test has ended the deployment. */
  function follow(overrides: Partial<FollowLogOptions> = {}) {
    const printed: LogRecord[] = [];
    const notices: string[] = [];
    let final = false;
    const done = followLog({
      webSocketUrl: `${proxy.url.replace('http:', 'ws:')}/live`,
      token: token(),
      deploymentId: SHOP,
      onRecords: ready => printed.push(...ready),
      onNotice: text => notices.push(text),
      deployment: async () => ({ ...await store.deployments.get(SHOP), status: final ? 'succeeded' : 'running' } as Deployment),
      readLog: from => store.logs.read(SHOP, { from, limit: 500 }),
      ...FAST,
      ...overrides,
    });
    done.catch(() => undefined);
    return { printed, notices, done, end: () => { final = true; } };
  }

  test('every line once, in order, across two cuts mid-log: each new connection subscribes from the first line not printed', async () => {
    const run = follow();
    await ingest(0, 400);
    await eventually('the first lines to be printed', () => run.printed.length >= 400);

    expect(proxy.cut()).toBe(1);
    await ingest(400, 700); // while the client is away
    await eventually('a new connection', () => proxy.connections === 1 && run.notices.some(n => n.includes('connected again, from line 400')));
    await eventually('the lines written while away, over the new connection', () => run.printed.length >= 700);

    for (let from = 700; from < 1000; from += 50) await ingest(from, from + 50);
    expect(proxy.cut()).toBe(1);
    for (let from = 1000; from < 1500; from += 50) await ingest(from, from + 50);
    // Before the deployment is final: the live path alone brings every line (the final read adds nothing).
    await eventually(() => `all 1500 lines live (have ${run.printed.length}; ${run.notices.join(' | ')})`, () => run.printed.length === 1500, 20_000);
    expect(proxy.upgrades).toBe(3);

    run.end();
    const final = await run.done;
    expect(final.status).toBe('succeeded');
    expect(run.printed).toEqual(records(0, 1500));
    expect(run.notices.filter(n => n.includes('connecting again'))).toHaveLength(2);
    expect(run.notices.join('\n')).not.toContain(token());
  });

  test('the token goes in the Authorization header of every connect, never in the URL (proxies and access logs keep URLs)', async () => {
    const secret = token();
    const run = follow({ token: secret });
    await ingest(0, 10);
    await eventually('the first lines', () => run.printed.length >= 10);
    proxy.cut();
    await eventually('a second connect', () => proxy.upgradeRequests.length >= 2);
    run.end();
    await run.done;
    expect(proxy.upgradeRequests.map(request => request.authorization)).toEqual(proxy.upgradeRequests.map(() => `Bearer ${secret}`));
    for (const { url } of proxy.upgradeRequests) {
      expect(url).not.toContain('token=');
      expect(url).not.toContain(secret);
    }
  });

  test('when no connection can be made, the stored log is read once the deployment is final: every line, once', async () => {
    proxy.refuseUpgrades = true;
    const run = follow();
    await ingest(0, 1200);
    await eventually('a refused attempt or two', () => run.notices.filter(n => n.includes('503')).length >= 2);
    expect(run.printed).toEqual([]);
    run.end();
    await run.done;
    expect(run.printed).toEqual(records(0, 1200));
  });

  test('it does not end while the final deployment\'s stored log goes on past what was printed', async () => {
    proxy.refuseUpgrades = true;
    let pages = 0;
    const run = follow({
      readLog: async from => {
        pages++;
        // The first read after the end sees a log that is not complete yet (a gap, lines held).
        return pages === 1 ? { records: [], next: from, end: false } : store.logs.read(SHOP, { from, limit: 500 });
      },
    });
    await ingest(0, 10);
    run.end();
    await run.done;
    expect(pages).toBeGreaterThan(1);
    expect(run.printed).toEqual(records(0, 10));
  });

  test('a refused token stops at once with the sign-in exit code, naming `trellis login`', async () => {
    const run = follow({ token: 'not-a-token' });
    const error = await run.done.then(() => undefined, failure => failure);
    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({ exitCode: EXIT.auth, message: expect.stringContaining('trellis login') });
    expect(proxy.upgrades).toBe(1);
  });

  test('a deployment of an application the caller cannot read stops with the reason', async () => {
    const run = follow({ deploymentId: BLOG });
    const error = await run.done.then(() => undefined, failure => failure);
    expect(error).toMatchObject({ exitCode: EXIT.auth, message: expect.stringContaining('no access to application blog') });
  });
});
