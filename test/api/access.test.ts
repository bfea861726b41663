import { Harness, admin, apiHarness, deployer, sha, stranger, viewer, webDeployer } from './harness';
import { ROUTES } from '../../src/runtime/api/routes';
import { Deployment, Principal } from '../../src/runtime/core';

/** One valid call per route; the test below checks that every route of the table is here. */
/** `browserReturn`: a public route the browser comes back to from GitHub (tested with its own rules). */
type RouteCall = { method: string; path: string; body?: unknown; action: boolean; browserReturn?: boolean };

function everyRoute(deployment: Deployment, rollbackTo: Deployment): RouteCall[] {
  return [
    { method: 'GET', path: '/api/health', action: false },
    { method: 'GET', path: '/api/me', action: false },
    { method: 'GET', path: '/api/apps', action: false },
    { method: 'GET', path: '/api/apps/web', action: false },
    { method: 'GET', path: '/api/apps/web/environments/dev/deployments', action: false },
    { method: 'GET', path: `/api/deployments/${deployment.id}`, action: false },
    { method: 'GET', path: `/api/deployments/${deployment.id}/logs`, action: false },
    { method: 'POST', path: '/api/apps/web/environments/dev/deploy', body: {}, action: true },
    { method: 'POST', path: '/api/apps/web/environments/dev/promote', body: {}, action: true },
    { method: 'POST', path: '/api/apps/web/environments/dev/rollback', body: { deploymentId: rollbackTo.id }, action: true },
    { method: 'POST', path: '/api/apps/web/environments/dev/teardown', body: { confirm: 'dev' }, action: true },
    { method: 'POST', path: `/api/deployments/${deployment.id}/cancel`, body: {}, action: true },
    { method: 'PUT', path: '/api/apps/web/environments/dev/settings', body: { runTests: false, secrets: { API_KEY: 'k3y-value-0001' } }, action: true },
    { method: 'POST', path: '/api/apps', body: { name: 'shop', repository: 'acme/shop' }, action: true },
    { method: 'DELETE', path: '/api/apps/web', body: { confirm: 'web' }, action: true },
    { method: 'POST', path: '/api/apps/web/environments', body: { name: 'qa', kind: 'custom' }, action: true },
    { method: 'DELETE', path: '/api/apps/web/environments/dev', body: { confirm: 'dev' }, action: true },
    // Pull-request previews (test/previews/pull-requests.test.ts has their rules).
    { method: 'POST', path: '/api/apps/web/environments/dev/approve', body: {}, action: true },
    { method: 'PUT', path: '/api/apps/web/previews', body: { enabled: false }, action: true },
    { method: 'GET', path: '/api/github', action: false },
    { method: 'POST', path: '/api/github/manifest', body: {}, action: true },
    { method: 'GET', path: '/api/github/deliveries', action: true },
    { method: 'POST', path: '/api/github/deliveries/12/redeliver', body: {}, action: true },
    // The audit trail: its application's admins only (test/api/audit.test.ts has its rules).
    { method: 'GET', path: '/api/apps/web/audit', action: true },
    { method: 'GET', path: '/api/audit', action: true },
    // Failed notifications: the application's viewers (test/api/notification-failures.test.ts has their rules).
    { method: 'GET', path: '/api/apps/web/notifications/failures', action: false },
    // API tokens: admins only, listing included (test/api/tokens.test.ts has their rules).
    { method: 'GET', path: '/api/tokens', action: true },
    { method: 'POST', path: '/api/tokens', body: { name: 'ci', role: 'deployer', application: 'web' }, action: true },
    { method: 'DELETE', path: '/api/tokens/abcdefghijkl', action: true },
    // GitHub sends the browser back here, with no token: test/api/github-setup.test.ts has its rules.
    { method: 'GET', path: '/github/app-created', action: false, browserReturn: true },
    // Sign in with GitHub: public, no token (test/local/github-sign-in.test.ts and test/auth/ have their rules).
    { method: 'GET', path: '/auth/github/sign-in', action: false, browserReturn: true },
    { method: 'GET', path: '/auth/github/callback', action: false, browserReturn: true },
    // trellis login redeems the one-use code its sign-in sent to the terminal, before it has a token (test/local/github-terminal-sign-in.test.ts).
    { method: 'POST', path: '/auth/github/token', body: {}, action: false, browserReturn: true },
    { method: 'GET', path: '/auth/github/.well-known/jwks.json', action: false, browserReturn: true },
    { method: 'GET', path: '/auth/github/.well-known/openid-configuration', action: false, browserReturn: true },
  ];
}

describe('control API access rules', () => {
  let h: Harness;
  let queued: Deployment;
  let older: Deployment;

  beforeEach(async () => {
    h = await apiHarness();
    h.commits.push('acme/web', 'main', { sha: sha(9), message: 'Ship it', author: 'octocat' });
    older = await h.finished('web', 'dev', 'succeeded', { commit: sha(1) });
    const current = await h.finished('web', 'dev', 'succeeded', { commit: sha(2) });
    await h.setCurrent('web', 'dev', current);
    const stagingCurrent = await h.finished('web', 'staging', 'succeeded', { commit: sha(3) });
    await h.setCurrent('web', 'staging', stagingCurrent);
    ({ json: queued } = await h.call('POST', '/api/apps/web/environments/dev/deploy', { principal: admin }));
    h.queue.sent.length = 0;
  });

  test('the list below covers every route of the table', () => {
    const calls = everyRoute(queued, older);
    for (const route of ROUTES) {
      const pattern = new RegExp(`^${route.path.replace(/\{\w+\}/g, '[^/]+')}$`);
      expect(calls.some(c => c.method === route.method && pattern.test(c.path))).toBe(true);
    }
    expect(calls).toHaveLength(ROUTES.length);
  });

  test('without a principal every route but health answers 401 and changes nothing', async () => {
    const before = await h.store.deployments.listByEnvironment('web', 'dev');
    for (const { method, path, body, browserReturn } of everyRoute(queued, older)) {
      if (browserReturn) continue;
      const response = await h.call(method, path, { body });
      if (path === '/api/health') {
        expect(response.status).toBe(200);
        expect(response.json).toEqual({ ok: true });
      } else {
        expect({ method, path, status: response.status, error: response.json.error }).toEqual({ method, path, status: 401, error: 'unauthorized' });
      }
    }
    // Unknown paths too: nothing is revealed before sign-in.
    expect((await h.call('GET', '/api/nothing-here')).status).toBe(401);
    expect((await h.store.deployments.listByEnvironment('web', 'dev')).items).toEqual(before.items);
    expect(h.queue.sent).toEqual([]);
    expect(h.secrets.secrets.size).toBe(0);
    expect((await h.store.config.getEnvironment('web', 'dev'))?.overrides).toBeUndefined();
  });

  test('a viewer reads everything and may do no action: 403 with the role needed', async () => {
    for (const { method, path, body, action, browserReturn } of everyRoute(queued, older)) {
      if (browserReturn) continue;
      const response = await h.call(method, path, { principal: viewer, body });
      if (!action) {
        expect({ path, status: response.status }).toEqual({ path, status: 200 });
        continue;
      }
      expect({ method, path, status: response.status, error: response.json.error }).toEqual({ method, path, status: 403, error: 'forbidden' });
      expect(response.json.reason).toMatch(/needs the (deployer|admin) role/);
    }
    expect(h.queue.sent).toEqual([]);
    expect(h.secrets.secrets.size).toBe(0);
    expect((await h.store.deployments.get(queued.id))?.status).toBe('queued');
  });

  test('a deployer acts in environments that are not protected, not in protected ones, and changes no settings', async () => {
    expect((await h.call('POST', '/api/apps/web/environments/dev/deploy', { principal: deployer })).status).toBe(202);
    expect((await h.call('POST', '/api/apps/web/environments/dev/promote', { principal: deployer })).status).toBe(202); // dev → staging

    const intoProd = await h.call('POST', '/api/apps/web/environments/staging/promote', { principal: deployer });
    expect(intoProd.status).toBe(403);
    expect(intoProd.json.reason).toBe('promote in web/prod needs the admin role (web/prod is protected)');
    expect((await h.call('POST', '/api/apps/web/environments/prod/teardown', { principal: deployer, body: { confirm: 'prod' } })).status).toBe(403);
    const settings = await h.call('PUT', '/api/apps/web/environments/dev/settings', { principal: deployer, body: { runTests: false } });
    expect(settings.status).toBe(403);
    expect(settings.json.reason).toBe('changing settings needs the admin role on application web');
    expect((await h.store.deployments.listByEnvironment('web', 'prod')).items).toEqual([]);
  });

  test('an admin promotes into the protected environment: 202', async () => {
    const response = await h.call('POST', '/api/apps/web/environments/staging/promote', { principal: admin });
    expect(response.status).toBe(202);
    expect(response.json).toMatchObject({ application: 'web', environment: 'prod', action: 'promote', commit: sha(3), status: 'queued', trigger: { kind: 'promotion', actor: 'ada' } });
  });

  test('cancelling a deployment of a protected environment needs admin', async () => {
    const { json: promotion } = await h.call('POST', '/api/apps/web/environments/staging/promote', { principal: admin });
    expect((await h.call('POST', `/api/deployments/${promotion.id}/cancel`, { principal: deployer })).status).toBe(403);
    expect((await h.call('POST', `/api/deployments/${promotion.id}/cancel`, { principal: admin })).json.status).toBe('cancelled');
  });

  test('grants for one application: the others are invisible or forbidden', async () => {
    const apps = await h.call('GET', '/api/apps', { principal: webDeployer });
    expect(apps.json.items.map((app: { name: string }) => app.name)).toEqual(['web']);
    const other = await h.call('GET', '/api/apps/api', { principal: webDeployer });
    expect(other.status).toBe(403);
    // Same answer whether the application exists or not.
    expect((await h.call('GET', '/api/apps/nope', { principal: webDeployer })).json).toEqual({ error: 'forbidden', reason: 'reading an application needs the viewer role on application nope' });
    expect((await h.call('POST', '/api/apps/api/environments/dev/deploy', { principal: webDeployer })).status).toBe(403);
    expect((await h.call('GET', '/api/apps/api/environments/dev/deployments', { principal: webDeployer })).status).toBe(403);
    expect((await h.call('POST', '/api/apps/web/environments/dev/deploy', { principal: webDeployer })).status).toBe(202);
  });

  test('a signed-in caller in no group sees no application and may read only /api/me', async () => {
    expect((await h.call('GET', '/api/apps', { principal: stranger })).json).toEqual({ items: [] });
    expect((await h.call('GET', '/api/me', { principal: stranger })).json).toEqual({ subject: 'sub-sam', name: 'sam', grants: [] });
    expect((await h.call('GET', '/api/apps/web', { principal: stranger })).status).toBe(403);
    expect((await h.call('GET', `/api/deployments/${queued.id}`, { principal: stranger })).status).toBe(403);
    expect((await h.call('GET', `/api/deployments/${queued.id}/logs`, { principal: stranger })).status).toBe(403);
  });

  test('allowed in the views follows the same rules', async () => {
    const allowed = async (principal: Principal) => Object.fromEntries(
      (await h.call('GET', '/api/apps/web', { principal })).json.environments.map((env: { name: string; allowed: unknown }) => [env.name, env.allowed]));

    expect(await allowed(viewer)).toEqual({
      dev: { deploy: false, promote: false, rollback: false, teardown: false, settings: false },
      staging: { deploy: false, promote: false, rollback: false, teardown: false, settings: false },
      prod: { deploy: false, promote: false, rollback: false, teardown: false, settings: false },
    });
    expect(await allowed(deployer)).toEqual({
      dev: { deploy: true, promote: true, rollback: true, teardown: true, settings: false },
      // staging tracks no branch; its next environment is protected.
      staging: { deploy: false, promote: false, rollback: true, teardown: true, settings: false },
      prod: { deploy: false, promote: false, rollback: false, teardown: false, settings: false },
    });
    expect(await allowed(admin)).toEqual({
      dev: { deploy: true, promote: true, rollback: true, teardown: true, settings: true },
      staging: { deploy: false, promote: true, rollback: true, teardown: true, settings: true },
      // The last environment: nothing to promote to; no branch, no current version.
      prod: { deploy: false, promote: false, rollback: true, teardown: true, settings: true },
    });
  });
});
