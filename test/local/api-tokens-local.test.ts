import { mkdtempSync, writeFileSync } from 'fs';
import { join } from 'path';
import { WebSocket } from 'ws';
import { DashboardServer, startDashboardServer } from '../../src/local/dashboard-server';
import { LocalIdentity } from '../../src/local/local-identity';
import { CreatedApiToken, Store } from '../../src/runtime/core';
import { FakeCommitSource, FakeLaunchQueue, FakeSecretStore } from '../api/fakes';
import { FakeTaskRunner } from '../deployments/fake-task-runner';
import { appConfig, envConfig } from '../store/fixtures';
import { freshStore } from '../support/test-table';

/** Local mode's server takes API tokens on the control API and the live-log socket, as AWS does. */
describe('local server: API tokens', () => {
  let store: Store;
  let server: DashboardServer;
  const logs: Record<string, unknown>[] = [];
  const identity = new LocalIdentity([{ name: 'ada', password: 'correct horse', groups: ['admin'] }]);

  beforeAll(async () => {
    ({ store } = await freshStore());
    await store.config.syncApplications([appConfig('shop', [envConfig('dev', { branch: 'main' })]), appConfig('blog', [envConfig('dev', { branch: 'main' })])]);
    const staticDir = mkdtempSync(join(process.env.TMPDIR ?? '/tmp', 'trellis-static-'));
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Trellis</title>');
    server = await startDashboardServer({
      store,
      identity,
      api: { queue: new FakeLaunchQueue(), commits: new FakeCommitSource(), secrets: new FakeSecretStore(), runner: new FakeTaskRunner(), installation: 'local' },
      staticDir,
      log: entry => logs.push(entry),
    });
  });

  afterAll(() => server.close());

  const api = (path: string, credential: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, { ...init, headers: { authorization: `Bearer ${credential}`, ...init.headers } });

  async function createToken(body: unknown): Promise<CreatedApiToken> {
    const response = await api('/api/tokens', identity.token({ name: 'ada', password: '', groups: ['admin'] }), { method: 'POST', body: JSON.stringify(body) });
    expect(response.status).toBe(201);
    return await response.json() as CreatedApiToken;
  }

  /** The status of a WebSocket handshake: 101 when it opened. */
  function handshake(url: string, headers: Record<string, string> = {}): Promise<number> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers });
      socket.once('open', () => {
        socket.close();
        resolve(101);
      });
      socket.once('unexpected-response', (_request, response) => {
        resolve(response.statusCode ?? 0);
        response.resume();
      });
      socket.once('error', reject);
    });
  }

  test('a token reads and is refused outside its application over HTTP; revoked, it is refused everywhere', async () => {
    const created = await createToken({ name: 'ci', role: 'viewer', application: 'shop' });
    expect((await api('/api/apps/shop', created.token)).status).toBe(200);
    expect((await api('/api/apps/blog', created.token)).status).toBe(403);
    expect(await (await api('/api/me', created.token)).json()).toMatchObject({ name: 'token ci' });

    expect(await handshake(`${server.webSocketUrl}?token=${created.token}`)).toBe(101);
    expect(await handshake(server.webSocketUrl, { authorization: `Bearer ${created.token}` })).toBe(101);
    expect(await handshake(server.webSocketUrl)).toBe(401);

    const admin = identity.token({ name: 'ada', password: '', groups: ['admin'] });
    expect((await api(`/api/tokens/${created.id}`, admin, { method: 'DELETE' })).status).toBe(200);
    const refused = await api('/api/apps/shop', created.token);
    expect(refused.status).toBe(401);
    expect(await handshake(`${server.webSocketUrl}?token=${created.token}`)).toBe(401);
    expect(await handshake(server.webSocketUrl, { authorization: `Bearer ${created.token}` })).toBe(401);

    // The server's log names the token by id, never its secret.
    const secret = created.token.slice(`trellis_${created.id}_`.length);
    expect(JSON.stringify(logs)).not.toContain(secret);
    expect(logs).toContainEqual(expect.objectContaining({ message: 'api token refused', token: created.id }));
  });

  test('a token cannot mint a token over HTTP', async () => {
    const root = await createToken({ name: 'root', role: 'admin' });
    const response = await api('/api/tokens', root.token, { method: 'POST', body: JSON.stringify({ name: 'child', role: 'viewer' }) });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ reason: expect.stringContaining('an API token cannot create API tokens') });
  });
});
