import { Harness, admin, apiHarness, sha, viewer } from './harness';
import { ApplicationView, EnvironmentView } from '../../src/runtime/core';
import { marker, records } from '../store/log-records';

describe('control API reads', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await apiHarness();
  });

  test('GET /api/health needs no token', async () => {
    expect(await h.call('GET', '/api/health')).toMatchObject({ status: 200, json: { ok: true } });
  });

  test('GET /api/me answers who the caller is', async () => {
    expect((await h.call('GET', '/api/me', { principal: admin })).json).toEqual({ subject: 'sub-ada', name: 'ada', grants: [{ application: '*', role: 'admin' }] });
  });

  test('GET /api/apps: every visible application, environments in promotion order, as EnvironmentViews', async () => {
    const current = await h.finished('web', 'dev', 'succeeded', { commit: sha(1) });
    await h.setCurrent('web', 'dev', current);
    const failed = await h.finished('web', 'dev', 'failed', { commit: sha(2) });
    await h.secrets.update(h.secretName('web', 'dev'), { STRIPE_KEY: 'sk_live_value', DB_PASSWORD: 'hunter2-long' });

    const response = await h.call('GET', '/api/apps', { principal: viewer });
    expect(response.status).toBe(200);
    const apps = response.json.items as ApplicationView[];
    expect(apps.map(app => [app.name, app.repository, app.environments.map(env => env.name)])).toEqual([
      ['api', 'acme/api', ['dev']],
      ['web', 'acme/web', ['dev', 'staging', 'prod']],
    ]);
    const dev: EnvironmentView = apps[1].environments[0];
    expect(dev).toEqual({
      name: 'dev',
      kind: 'development',
      position: 0,
      branch: 'main',
      autoDeploy: true,
      protected: false,
      runTests: true,
      testCommand: ['npm', 'test'],
      variables: { LOG_LEVEL: 'debug' },
      secrets: [{ name: 'DB_PASSWORD', set: true }, { name: 'STRIPE_KEY', set: true }],
      sources: { branch: 'code', runTests: 'code', testCommand: 'code', variables: 'code' },
      currentCommit: sha(1),
      currentDeploymentId: current.id,
      lastDeployment: failed,
      allowed: { deploy: false, promote: false, rollback: false, teardown: false, settings: false },
    });
    const prod = apps[1].environments[2];
    expect(prod).toMatchObject({ name: 'prod', kind: 'production', position: 2, protected: true, region: 'eu-central-1', account: '111122223333', secrets: [] });
    // Runtime internals and the deploy role stay in the store.
    for (const hidden of ['lockHolder', 'pending', 'overrides', 'deployRoleArn', 'application']) expect(prod).not.toHaveProperty(hidden);
    expect(prod.lastDeployment).toBeUndefined();
  });

  test('an environment shows the deployment under way and the one waiting for it', async () => {
    h.commits.push('acme/web', 'main', { sha: sha(7), message: 'First' });
    const { json: first } = await h.call('POST', '/api/apps/web/environments/dev/deploy', { principal: admin });
    h.commits.push('acme/web', 'main', { sha: sha(8), message: 'Second' });
    const { json: second } = await h.call('POST', '/api/apps/web/environments/dev/deploy', { principal: admin });
    // The launcher claims the environment for each, in order: the first holds it, the second waits.
    await h.store.deployments.claimEnvironment('web', 'dev', first.id);
    await h.store.deployments.claimEnvironment('web', 'dev', second.id);
    const dev = (await h.call('GET', '/api/apps/web', { principal: viewer })).json.environments[0] as EnvironmentView;
    expect([dev.activeDeploymentId, dev.waitingDeploymentId]).toEqual([first.id, second.id]);
    const staging = (await h.call('GET', '/api/apps/web', { principal: viewer })).json.environments[1] as EnvironmentView;
    expect([staging.activeDeploymentId, staging.waitingDeploymentId]).toEqual([undefined, undefined]);
  });

  test('GET /api/apps/{app}: one application; 404 when it does not exist', async () => {
    const response = await h.call('GET', '/api/apps/web', { principal: viewer });
    expect(response.status).toBe(200);
    expect(response.json.name).toBe('web');
    expect(response.json.environments.map((env: EnvironmentView) => env.position)).toEqual([0, 1, 2]);
    expect(await h.call('GET', '/api/apps/nope', { principal: viewer })).toMatchObject({ status: 404, json: { error: 'not_found', reason: 'application nope does not exist' } });
  });

  test('GET .../deployments: newest first, paginated with the store cursor', async () => {
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await h.finished('web', 'dev', 'succeeded', { commit: sha(i) }));
    await h.finished('web', 'staging', 'succeeded');

    const first = await h.call('GET', '/api/apps/web/environments/dev/deployments', { principal: viewer, query: { limit: '2' } });
    expect(first.status).toBe(200);
    expect(first.json.items.map((d: { id: string }) => d.id)).toEqual([made[4].id, made[3].id]);
    expect(typeof first.json.cursor).toBe('string');
    const second = await h.call('GET', '/api/apps/web/environments/dev/deployments', { principal: viewer, query: { limit: '2', cursor: first.json.cursor } });
    expect(second.json.items.map((d: { id: string }) => d.id)).toEqual([made[2].id, made[1].id]);
    const third = await h.call('GET', '/api/apps/web/environments/dev/deployments', { principal: viewer, query: { limit: '2', cursor: second.json.cursor } });
    expect(third.json.items.map((d: { id: string }) => d.id)).toEqual([made[0].id]);
    expect(third.json.cursor).toBeUndefined();

    // A cursor of another environment's list is refused, not followed.
    const staging = await h.call('GET', '/api/apps/web/environments/staging/deployments', { principal: viewer, query: { cursor: first.json.cursor } });
    expect(staging).toMatchObject({ status: 400, json: { error: 'invalid_input', reason: 'cursor: is not a cursor this list returned' } });
    expect((await h.call('GET', '/api/apps/web/environments/dev/deployments', { principal: viewer, query: { limit: 'ten' } })).json.reason)
      .toBe("limit: 'ten' must be an integer from 1 to 100");
    expect((await h.call('GET', '/api/apps/web/environments/dev/deployments', { principal: viewer, query: { limit: '0' } })).status).toBe(400);
    expect((await h.call('GET', '/api/apps/web/environments/qa/deployments', { principal: viewer })).json)
      .toEqual({ error: 'not_found', reason: 'environment web/qa does not exist' });
  });

  test('GET /api/deployments/{id}: the deployment with its phases; 404 when unknown', async () => {
    const deployment = await h.finished('web', 'dev', 'succeeded');
    await h.store.logs.ingest(deployment.id, [marker(0, 'clone', 'start'), ...records(1, 3), marker(3, 'clone', 'end', 1200)]);

    const response = await h.call('GET', `/api/deployments/${deployment.id}`, { principal: viewer });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ id: deployment.id, status: 'succeeded', phases: [{ phase: 'clone', outcome: 'succeeded', durationMs: 1200 }] });
    const unknown = deployment.id.replace(/.$/, deployment.id.endsWith('f') ? 'e' : 'f');
    expect(await h.call('GET', `/api/deployments/${unknown}`, { principal: viewer })).toMatchObject({ status: 404, json: { error: 'not_found' } });
  });

  test('GET /api/deployments/{id}/logs: a LogPageView from `from`, at most `limit` lines', async () => {
    const deployment = await h.finished('web', 'dev', 'succeeded');
    await h.store.logs.ingest(deployment.id, records(0, 10));

    const page = await h.call('GET', `/api/deployments/${deployment.id}/logs`, { principal: viewer, query: { from: '3', limit: '4' } });
    expect(page.status).toBe(200);
    expect(page.json).toEqual({ records: records(3, 7), next: 7, end: false });
    const rest = await h.call('GET', `/api/deployments/${deployment.id}/logs`, { principal: viewer, query: { from: '7' } });
    expect(rest.json).toEqual({ records: records(7, 10), next: 10, end: true });
    const empty = await h.call('GET', `/api/deployments/${deployment.id}/logs`, { principal: viewer, query: { from: '10' } });
    expect(empty.json).toEqual({ records: [], next: 10, end: true });
    expect((await h.call('GET', `/api/deployments/${deployment.id}/logs`, { principal: viewer, query: { from: '-1' } })).json.reason)
      .toMatch(/^from: '-1' must be an integer from 0/);
  });
});
