import { createHmac } from 'crypto';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { DashboardServer, startDashboardServer } from '../../src/local/dashboard-server';
import { LocalIdentity } from '../../src/local/local-identity';
import { Store } from '../../src/runtime/core';
import { FakeCommitSource, FakeLaunchQueue, FakeSecretStore } from '../api/fakes';
import { FakeTaskRunner } from '../build/fake-task-runner';
import { appConfig, envConfig } from '../store/fixtures';
import { freshStore } from '../support/test-table';

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
  const queue = new FakeLaunchQueue();

  beforeAll(async () => {
    ({ store } = await freshStore());
    await store.config.syncApplications([appConfig('shop', [envConfig('dev', { branch: 'main', autoDeploy: true })], 'local/shop')]);
    server = await startDashboardServer({
      store,
      identity: new LocalIdentity([]),
      api: { queue, commits: new FakeCommitSource(), secrets: new FakeSecretStore(), runner: new FakeTaskRunner(), installation: 'local' },
      webhook: { secret: async () => secret, queue },
      staticDir: mkdtempSync(join(tmpdir(), 'trellis-static-')),
      log: () => undefined,
    });
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
  const signed = (body: string | Buffer, delivery: string) => ({
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-github-delivery': delivery,
    'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
  });

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
