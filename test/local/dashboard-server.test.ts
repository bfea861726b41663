import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { DashboardServer, startDashboardServer } from '../../src/local/dashboard-server';
import { LocalIdentity } from '../../src/local/local-identity';
import { Store } from '../../src/runtime/core';
import { FakeCommitSource, FakeLaunchQueue, FakeSecretStore } from '../api/fakes';
import { FakeTaskRunner } from '../deployments/fake-task-runner';
import { appConfig, envConfig } from '../store/fixtures';
import { signedPushHeaders } from '../support/github-webhook';
import { freshStore } from '../support/test-table';
import { startWebhookServer } from './support/webhook-server';

/** The local server over real HTTP: routing, sign-in, static files; the API itself is tested in test/api. */
describe('local dashboard server', () => {
  let store: Store;
  let server: DashboardServer;
  let staticDir: string;
  const identity = new LocalIdentity([
    { name: 'ada', password: 'correct horse', groups: ['admin'] },
    { name: 'vic', password: 'viewer pass', groups: ['viewer:shop'] },
  ]);

  beforeAll(async () => {
    ({ store } = await freshStore());
    await store.config.syncApplications([appConfig('shop', [envConfig('dev', { branch: 'main' })])]);
    staticDir = mkdtempSync(join(tmpdir(), 'trellis-static-'));
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Trellis</title>');
    writeFileSync(join(staticDir, 'app.js'), 'console.log(1)');
    writeFileSync(join(tmpdir(), 'trellis-outside.txt'), 'outside the static root');
    server = await startDashboardServer({
      store,
      identity,
      api: { queue: new FakeLaunchQueue(), commits: new FakeCommitSource(), secrets: new FakeSecretStore(), runner: new FakeTaskRunner(), installation: 'local' },
      staticDir,
      log: () => undefined,
    });
  });

  afterAll(() => server.close());

  async function signIn(user: string, password: string) {
    return fetch(`${server.url}/auth/local/sign-in`, { method: 'POST', body: JSON.stringify({ user, password }) });
  }

  test('config.json points the dashboard at this server, with local sign-in', async () => {
    const config = await (await fetch(`${server.url}/config.json`)).json();
    expect(config).toEqual({ apiUrl: server.url, webSocketUrl: server.webSocketUrl, auth: { kind: 'local' } });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test('sign-in gives a token the API accepts; a wrong password or unknown user is 401 with the same reason', async () => {
    const response = await signIn('ada', 'correct horse');
    expect(response.status).toBe(200);
    const { token } = await response.json() as { token: string };
    const me = await fetch(`${server.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ name: 'ada', grants: [{ application: '*', role: 'admin' }] });

    const wrong = await signIn('ada', 'wrong');
    const unknown = await signIn('mallory', 'correct horse');
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    expect(await wrong.json()).toEqual(await unknown.json());
    expect((await fetch(`${server.url}/auth/local/sign-in`, { method: 'POST', body: 'nope' })).status).toBe(400);
  });

  test('the API refuses a missing or forged token with 401, and a viewer acting with 403', async () => {
    expect((await fetch(`${server.url}/api/apps`)).status).toBe(401);
    expect((await fetch(`${server.url}/api/apps`, { headers: { authorization: 'Bearer x.y.z' } })).status).toBe(401);
    const { token } = await (await signIn('vic', 'viewer pass')).json() as { token: string };
    const apps = await fetch(`${server.url}/api/apps`, { headers: { authorization: `Bearer ${token}` } });
    expect(apps.status).toBe(200);
    const deploy = await fetch(`${server.url}/api/apps/shop/environments/dev/deploy`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${token}` } });
    expect(deploy.status).toBe(403);
    expect(await deploy.json()).toMatchObject({ reason: expect.any(String) });
  });

  test('bodies over 1 MiB are refused with 413', async () => {
    const response = await fetch(`${server.url}/api/apps/shop/environments/dev/settings`, { method: 'PUT', body: 'x'.repeat(1024 * 1024 + 1) });
    expect(response.status).toBe(413);
  });

  test('static files are served, other paths get index.html, and no path leaves the root', async () => {
    const js = await fetch(`${server.url}/app.js`);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect(await js.text()).toBe('console.log(1)');
    const route = await fetch(`${server.url}/apps/shop`);
    expect(await route.text()).toContain('<title>Trellis</title>');
    expect(route.headers.get('x-frame-options')).toBe('DENY');
    for (const attempt of ['/../trellis-outside.txt', '/%2e%2e/trellis-outside.txt', '/..%2ftrellis-outside.txt']) {
      const body = await (await fetch(`${server.url}${attempt}`)).text();
      expect(body).not.toContain('outside the static root');
    }
  });
});

/** POST /webhook: the webhook function's handler behind the local server, raw body and signature included. */
describe('local dashboard server: the webhook route', () => {
  const secret = 'local webhook secret';
  let store: Store;
  let server: DashboardServer;
  let queue: FakeLaunchQueue;

  beforeAll(async () => {
    ({ store, server, queue } = await startWebhookServer(secret));
  });

  afterAll(() => server.close());

  const push = (sha: string) => JSON.stringify({
    ref: 'refs/heads/main',
    before: '0'.repeat(40),
    after: sha,
    repository: { full_name: 'local/shop' },
    head_commit: { id: sha, message: 'Cheaper shipping\n\nbody', author: { name: 'Ada' } },
  });
  const send = (body: string | Buffer, headers: Record<string, string>) => fetch(`${server.url}/webhook`, { method: 'POST', body, headers });
  const signed = (body: string | Buffer, delivery: string) => signedPushHeaders(secret, body, delivery);

  test('a signed push queues the deployment of the environment tracking the branch', async () => {
    const body = push('a'.repeat(40));
    const response = await send(body, signed(body, 'delivery-1'));
    expect(response.status).toBe(202);
    const answer = await response.json() as { deployments: Array<{ id: string; environment: string; commit: string }> };
    expect(answer.deployments).toEqual([expect.objectContaining({ environment: 'dev', commit: 'a'.repeat(40) })]);
    expect(queue.sent.map(message => message.deploymentId)).toContain(answer.deployments[0].id);
    expect(await store.deployments.get(answer.deployments[0].id)).toMatchObject({ status: 'queued', commitMessage: 'Cheaper shipping', author: 'Ada' });
  });

  test('an unsigned or wrongly signed body is 401 with a JSON reason, and nothing is queued', async () => {
    const before = queue.sent.length;
    const body = push('b'.repeat(40));
    const unsigned = await send(body, { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': 'delivery-2' });
    const tampered = await send(body.replace('main', 'mainx'), signed(body, 'delivery-3'));
    expect([unsigned.status, tampered.status]).toEqual([401, 401]);
    expect((await tampered.json() as { reason: string }).reason).toContain('does not match');
    expect(queue.sent.length).toBe(before);
  });

  test('GET is 405 and a body over the handler\'s limit is 413, both as JSON', async () => {
    const get = await fetch(`${server.url}/webhook`);
    expect(get.status).toBe(405);
    expect(await get.json()).toMatchObject({ error: 'method_not_allowed' });
    const huge = Buffer.alloc(5 * 1024 * 1024 + 1, 'a');
    const tooLarge = await send(huge, signed(huge, 'delivery-4'));
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.json()).toMatchObject({ error: 'payload_too_large' });
  });
});

/** /apps/<stage>/...: the deployed sample app behind the local server, as API Gateway would call it. */
describe('local dashboard server: deployed apps', () => {
  const SAMPLE_SRC = join(__dirname, '..', '..', 'examples', 'sample-app', 'src');
  let server: DashboardServer;
  let deployed: string;
  const logged: Array<Record<string, unknown>> = [];

  /** What the sample app's deploy script leaves: <deployed>/<stage>/src/ and version.json. */
  function deploy(stage: string, files: Record<string, string> = {}, commit = 'c0ffee') {
    const dir = join(deployed, stage);
    rmSync(dir, { recursive: true, force: true });
    cpSync(SAMPLE_SRC, join(dir, 'src'), { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'src', name), text);
    writeFileSync(join(dir, 'version.json'), JSON.stringify({ commit, stage }));
  }

  beforeAll(async () => {
    const { store } = await freshStore();
    deployed = mkdtempSync(join(tmpdir(), 'trellis-deployed-'));
    server = await startDashboardServer({
      store,
      identity: new LocalIdentity([]),
      api: { queue: new FakeLaunchQueue(), commits: new FakeCommitSource(), secrets: new FakeSecretStore(), runner: new FakeTaskRunner(), installation: 'local' },
      deployedApps: deployed,
      staticDir: mkdtempSync(join(tmpdir(), 'trellis-static-')),
      log: entry => logged.push(entry),
    });
  });

  afterAll(async () => {
    await server.close();
    rmSync(deployed, { recursive: true, force: true });
  });

  test('GET /apps/dev/health runs the deployed handler: 200 with the deployed commit, on an origin of its own', async () => {
    deploy('dev', {}, 'aaaa111');
    const response = await fetch(`${server.url}/apps/dev/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', commit: 'aaaa111' });
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('content-security-policy')).toBe('sandbox');

    const quote = await fetch(`${server.url}/apps/dev/quote`, { method: 'POST', body: JSON.stringify({ items: [{ sku: 'mug', unitPrice: 1200, quantity: 10 }] }), headers: { 'content-type': 'application/json' } });
    expect(await quote.json()).toEqual({ currency: 'EUR', subtotal: 12000, discount: 1200, total: 10800 });
    expect((await fetch(`${server.url}/apps/dev/nowhere`)).status).toBe(404);
    expect(logged).toContainEqual(expect.objectContaining({ message: 'app request', stage: 'dev', method: 'GET', path: '/health', status: 200 }));
  });

  test('a new deploy is picked up by the next request (nothing cached)', async () => {
    deploy('dev', {}, 'aaaa111');
    expect(await (await fetch(`${server.url}/apps/dev/health`)).json()).toMatchObject({ commit: 'aaaa111' });
    deploy('dev', {
      'handler.js': "exports.handler = async () => ({ statusCode: 500, body: JSON.stringify({ status: 'broken', v: require('./pricing').v }) });",
      'pricing.js': 'exports.v = 2;',
    }, 'bbbb222');
    const response = await fetch(`${server.url}/apps/dev/health`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ status: 'broken', v: 2 });
  });

  test('the event is API Gateway\'s HTTP API v2 shape; the result is mapped as API Gateway does', async () => {
    deploy('echo', {
      'handler.js': `exports.handler = async (event, context) => ({
        statusCode: 201,
        headers: { 'x-echo': 'yes', 'content-length': '1', 'bad header': 'x' },
        cookies: ['a=1'],
        body: JSON.stringify({ event, requestId: context.awsRequestId, env: Object.keys(process.env).sort() }),
      });`,
    });
    const response = await fetch(`${server.url}/apps/echo/items/a%20b?x=1&x=2&y=3`, { method: 'PUT', body: 'hello', headers: { 'content-type': 'text/plain', 'x-test': 'on' } });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-echo')).toBe('yes');
    expect(response.headers.get('set-cookie')).toBe('a=1');
    const { event, requestId, env } = await response.json() as { event: unknown; requestId: string; env: string[] };
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/items/a%20b',
      rawQueryString: 'x=1&x=2&y=3',
      queryStringParameters: { x: '1,2', y: '3' },
      headers: { 'content-type': 'text/plain', 'x-test': 'on' },
      requestContext: { http: { method: 'PUT', path: '/items/a%20b' }, stage: 'echo', requestId },
      body: 'hello',
      isBase64Encoded: false,
    });
    // Nothing of the server's environment reaches the app.
    expect(env).toEqual(['NODE_ENV', 'PATH']);

    const binary = await fetch(`${server.url}/apps/echo`, { method: 'POST', body: Buffer.from([0, 1, 2, 255]), headers: { 'content-type': 'application/octet-stream' } });
    expect((await binary.json() as { event: unknown }).event).toMatchObject({ rawPath: '/', body: 'AAEC/w==', isBase64Encoded: true });
  });

  test('a handler that throws or exits answers 500; the server goes on', async () => {
    deploy('throws', { 'handler.js': "exports.handler = async () => { throw new Error('boom'); };" });
    deploy('exits', { 'handler.js': 'exports.handler = async () => process.exit(7);' });
    for (const stage of ['throws', 'exits']) {
      const response = await fetch(`${server.url}/apps/${stage}/`);
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ message: 'Internal Server Error' });
    }
    expect(logged).toContainEqual(expect.objectContaining({ message: 'app failed', stage: 'throws', error: expect.stringContaining('boom') }));
    deploy('dev');
    expect((await fetch(`${server.url}/apps/dev/health`)).status).toBe(200);
  });

  test('only complete deploys of valid stage names, inside the deployed folder, are run', async () => {
    deploy('half');
    rmSync(join(deployed, 'half', 'version.json')); // a deploy in progress (or removed)
    const outside = mkdtempSync(join(tmpdir(), 'trellis-outside-'));
    writeFileSync(join(outside, 'handler.js'), "exports.handler = async () => ({ statusCode: 200, body: 'outside' });");
    deploy('linked');
    rmSync(join(deployed, 'linked', 'src'), { recursive: true });
    symlinkSync(outside, join(deployed, 'linked', 'src'));
    for (const path of ['/apps/staging/health', '/apps/half/health', '/apps/linked/health', '/apps/Dev/health', '/apps/%2e%2e/health', '/apps/..%2fdev/health', '/apps/dev--x/health']) {
      const response = await fetch(`${server.url}${path}`);
      expect([path, response.status]).toEqual([path, 404]);
      expect(await response.text()).not.toContain('outside');
    }
    rmSync(outside, { recursive: true, force: true });
  });
});
