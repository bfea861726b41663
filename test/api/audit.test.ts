import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { Harness, admin, apiHarness, deployer, sha, viewer } from './harness';
import { keys } from '../../src/contract/table-schema';
import { handleApiRequest } from '../../src/runtime/api/control-api';
import { ROUTES } from '../../src/runtime/api/routes';
import { Deployment, Principal } from '../../src/runtime/core';
import { AuditEntryView } from '../../src/runtime/core/api-types';

const TRAILS = ['web', 'api', 'shop', '*'];
const SECRET_VALUE = 'k3y-value-0001';

/** A web admin and an API token (deployer on web), as the control API sees them. */
const webAdmin: Principal = { subject: 'sub-wanda', name: 'wanda', grants: [{ application: 'web', role: 'admin' }] };
const ciToken: Principal = { subject: 'token:abcdefghijkl', name: 'token ci', apiToken: 'abcdefghijkl', grants: [{ application: 'web', role: 'deployer' }] };

describe('the audit trail', () => {
  let h: Harness;
  let queued: Deployment;
  let older: Deployment;

  async function everyEntry(): Promise<AuditEntryView[]> {
    const pages = await Promise.all(TRAILS.map(app => h.store.audit.list(app, { limit: 200 })));
    return pages.flatMap(page => page.items);
  }

  /** Make the call, check it added exactly one entry, and answer the entry. */
  async function recorded(method: string, path: string, principal: Principal, body?: unknown) {
    const before = await everyEntry();
    const response = await h.call(method, path, { principal, body });
    const added = (await everyEntry()).filter(entry => !before.some(seen => seen.id === entry.id));
    expect({ path, added: added.length }).toEqual({ path, added: 1 });
    return { response, entry: added[0] };
  }

  beforeEach(async () => {
    h = await apiHarness();
    h.commits.push('acme/web', 'main', { sha: sha(9), message: 'Ship it', author: 'octocat' });
    older = await h.finished('web', 'dev', 'succeeded', { commit: sha(1) });
    const current = await h.finished('web', 'dev', 'succeeded', { commit: sha(2) });
    await h.setCurrent('web', 'dev', current);
    const stagingCurrent = await h.finished('web', 'staging', 'succeeded', { commit: sha(3) });
    await h.setCurrent('web', 'staging', stagingCurrent);
    ({ json: queued } = await h.call('POST', '/api/apps/web/environments/dev/deploy', { principal: admin }));
  });

  test('every route that changes something is audited, and no read is', () => {
    for (const route of ROUTES) {
      const changes = route.method !== 'GET' && route.public !== true;
      expect({ route: `${route.method} ${route.path}`, audited: route.audit !== undefined }).toEqual({ route: `${route.method} ${route.path}`, audited: changes });
    }
  });

  test('each audited route records one entry: action, principal, application, environment, target, details, result', async () => {
    const ada = { actor: 'ada', subject: 'sub-ada' };
    const expectEntry = async (method: string, path: string, body: unknown, expected: Partial<AuditEntryView>) => {
      const { response, entry } = await recorded(method, path, admin, body);
      const result = expect.objectContaining({ status: response.status });
      expect(entry).toEqual({ id: expect.any(String), at: expect.any(String), ...ada, ...expected, result });
      expect(entry.apiToken).toBeUndefined();
      return { response, entry };
    };
    const deploy = await expectEntry('POST', '/api/apps/web/environments/dev/deploy', { branch: 'main' }, { action: 'deploy', application: 'web', environment: 'dev', details: ['branch'] });
    expect(deploy.entry.result).toEqual({ status: 202, deploymentId: deploy.response.json.id });
    await expectEntry('POST', '/api/apps/web/environments/dev/promote', {}, { action: 'promote', application: 'web', environment: 'dev' });
    await expectEntry('POST', '/api/apps/web/environments/dev/rollback', { deploymentId: older.id }, { action: 'rollback', application: 'web', environment: 'dev', target: older.id });
    await expectEntry('POST', '/api/apps/web/environments/staging/teardown', { confirm: 'staging' }, { action: 'teardown', application: 'web', environment: 'staging' });
    const cancel = await expectEntry('POST', `/api/deployments/${queued.id}/cancel`, {}, { action: 'cancel', application: 'web', environment: 'dev', target: queued.id });
    expect(cancel.response.status).toBe(200);
    const settings = await expectEntry('PUT', '/api/apps/web/environments/dev/settings', { runTests: false, variables: { LOG_LEVEL: 'info' }, secrets: { API_KEY: SECRET_VALUE } }, {
      action: 'settings', application: 'web', environment: 'dev', details: ['runTests', 'variables.LOG_LEVEL', 'secrets.API_KEY'],
    });
    expect(settings.response.status).toBe(200);
    const created = await expectEntry('POST', '/api/apps', { name: 'shop', repository: 'acme/shop' }, { action: 'create-application', application: 'shop' });
    expect(created.response.status).toBe(201);
    await expectEntry('POST', '/api/apps/shop/environments', { name: 'qa', kind: 'custom', secrets: { QA_KEY: SECRET_VALUE } }, {
      action: 'add-environment', application: 'shop', environment: 'qa', details: ['kind', 'secrets.QA_KEY'],
    });
    await expectEntry('DELETE', '/api/apps/shop/environments/qa', { confirm: 'qa' }, { action: 'delete-environment', application: 'shop', environment: 'qa' });
    await expectEntry('DELETE', '/api/apps/shop', { confirm: 'shop' }, { action: 'delete-application', application: 'shop' });
    await expectEntry('POST', '/api/github/manifest', {}, { action: 'github-app', application: '*' });
    await expectEntry('POST', '/api/github/deliveries/12/redeliver', {}, { action: 'redeliver', application: '*', target: '12' });
    const token = await expectEntry('POST', '/api/tokens', { name: 'ci', role: 'deployer', application: 'web' }, {
      action: 'create-token', application: 'web', target: expect.stringMatching(/^[a-z0-9]{12}$/), details: ['name ci', 'role deployer'],
    });
    expect(token.response.status).toBe(201);
    expect(token.entry.target).toBe(token.response.json.id);
    const revoked = await expectEntry('DELETE', `/api/tokens/${token.response.json.id}`, undefined, { action: 'revoke-token', application: 'web', target: token.response.json.id });
    expect(revoked.response.status).toBe(200);

    // Names only: no secret value, and not the new token, is in any entry.
    const all = JSON.stringify(await everyEntry());
    expect(all).not.toContain(SECRET_VALUE);
    expect(all).not.toContain(token.response.json.token.split('_').pop());
  });

  test('an API token is recorded as itself; refusals are recorded with their reason; 401s and reads are not', async () => {
    const { entry } = await recorded('POST', '/api/apps/web/environments/dev/deploy', ciToken, {});
    expect(entry).toMatchObject({ actor: 'token ci', subject: 'token:abcdefghijkl', apiToken: 'abcdefghijkl', action: 'deploy', result: { status: 202 } });

    const refused = await recorded('POST', '/api/apps/web/environments/prod/teardown', deployer, { confirm: 'prod' });
    expect(refused.entry).toMatchObject({ actor: 'dora', action: 'teardown', application: 'web', environment: 'prod', result: { status: 403, reason: 'teardown in web/prod needs the admin role (web/prod is protected)' } });
    expect(refused.entry.result.deploymentId).toBeUndefined();

    // A refused cancel names the deployment's application and environment too (read, as the answer is an error).
    const refusedCancel = await recorded('POST', `/api/deployments/${queued.id}/cancel`, viewer, {});
    expect(refusedCancel.entry).toMatchObject({ action: 'cancel', application: 'web', environment: 'dev', target: queued.id, result: { status: 403 } });

    // An invalid application name goes to the installation's trail, not a partition of its own.
    const invalid = await recorded('POST', '/api/apps/No_Such!/environments/dev/deploy', admin, {});
    expect(invalid.entry).toMatchObject({ application: '*', environment: 'dev', action: 'deploy', result: { status: 400 } });

    const before = (await everyEntry()).length;
    expect((await h.call('POST', '/api/apps/web/environments/dev/deploy', {})).status).toBe(401);
    expect((await h.call('GET', '/api/apps/web', { principal: admin })).status).toBe(200);
    expect((await h.call('GET', '/api/apps/web/audit', { principal: admin })).status).toBe(200);
    expect((await everyEntry()).length).toBe(before);
  });

  test('entries expire a year after, or after the retention the installation sets', async () => {
    const read = async (entry: AuditEntryView) => {
      const key = keys.auditEntry(entry.application, entry.at, entry.id);
      return (await h.ctx.doc.send(new GetCommand({ TableName: h.ctx.tableName, Key: key }))).Item!;
    };
    const { entry } = await recorded('POST', '/api/apps/web/environments/dev/deploy', admin, {});
    expect((await read(entry)).expiresAt).toBe(Math.floor(Date.parse(entry.at) / 1000) + 365 * 86_400);
    await handleApiRequest({ method: 'POST', path: '/api/apps/web/environments/dev/deploy', query: {}, body: '{}', principal: admin }, { ...h.deps, auditRetentionDays: 30 });
    const [newest] = (await h.store.audit.list('web', { limit: 1 })).items;
    expect((await read(newest)).expiresAt).toBe(Math.floor(Date.parse(newest.at) / 1000) + 30 * 86_400);
  });

  test('a failed audit write is logged and counted, and the request is answered all the same', async () => {
    h.store.audit.record = () => Promise.reject(new Error('throttled'));
    const response = await h.call('POST', '/api/apps/web/environments/dev/deploy', { principal: admin, body: {} });
    expect(response.status).toBe(202);
    expect(h.logs).toContainEqual(expect.objectContaining({ message: 'audit write failed', action: 'deploy', AuditWriteFailures: 1, error: 'throttled' }));
  });

  describe('GET /api/apps/{app}/audit', () => {
    beforeEach(async () => {
      await h.call('PUT', '/api/apps/web/environments/dev/settings', { principal: admin, body: { variables: { LOG_LEVEL: 'info' } } });
      await h.call('POST', '/api/apps/web/environments/dev/deploy', { principal: ciToken, body: {} });
      await h.call('POST', '/api/apps/web/environments/staging/teardown', { principal: admin, body: { confirm: 'staging' } });
      await h.call('POST', '/api/apps/api/environments/dev/deploy', { principal: admin, body: {} });
    });

    test('admins of the application read it, newest first; others get 403 naming the role', async () => {
      const response = await h.call('GET', '/api/apps/web/audit', { principal: webAdmin });
      expect(response.status).toBe(200);
      expect(response.json.items.map((e: AuditEntryView) => [e.action, e.actor, e.environment])).toEqual([
        ['teardown', 'ada', 'staging'], ['deploy', 'token ci', 'dev'], ['settings', 'ada', 'dev'], ['deploy', 'ada', 'dev'],
      ]);
      for (const principal of [viewer, deployer, ciToken]) {
        const refused = await h.call('GET', '/api/apps/web/audit', { principal });
        expect(refused.status).toBe(403);
        expect(refused.json.reason).toBe('reading the audit trail needs the admin role on application web');
      }
      expect((await h.call('GET', '/api/apps/api/audit', { principal: webAdmin })).status).toBe(403);
    });

    test('a deleted application\'s trail stays readable; a name with neither answers 404', async () => {
      await h.call('POST', '/api/apps', { principal: admin, body: { name: 'shop', repository: 'acme/shop' } });
      expect((await h.call('DELETE', '/api/apps/shop', { principal: admin, body: { confirm: 'shop' } })).status).toBe(200);
      const trail = await h.call('GET', '/api/apps/shop/audit', { principal: admin });
      expect(trail.json.items.map((e: AuditEntryView) => e.action)).toEqual(['delete-application', 'create-application']);
      const none = await h.call('GET', '/api/apps/nope/audit', { principal: admin });
      expect(none.status).toBe(404);
      expect(none.json.reason).toBe('application nope does not exist and has no audit trail');
    });

    test("the installation's own trail (GitHub App, tokens for every application) is its admins': GET /api/audit", async () => {
      await h.call('POST', '/api/github/manifest', { principal: admin, body: {} });
      await h.call('POST', '/api/tokens', { principal: admin, body: { name: 'everywhere', role: 'viewer', application: '*' } });
      const trail = await h.call('GET', '/api/audit', { principal: admin });
      expect(trail.status).toBe(200);
      expect(trail.json.items.map((e: AuditEntryView) => [e.action, e.application])).toEqual([['create-token', '*'], ['github-app', '*']]);
      expect((await h.call('GET', '/api/audit', { principal: admin, query: { action: 'github-app' } })).json.items).toHaveLength(1);

      const exported = await handleApiRequest({ method: 'GET', path: '/api/audit', query: { format: 'jsonl' }, body: '', principal: admin }, h.deps);
      expect(exported.headers['content-disposition']).toBe('attachment; filename="installation-audit.jsonl"');
      expect(exported.body.trimEnd().split('\n').map(line => JSON.parse(line))).toEqual(trail.json.items);

      // An application's admin is not the installation's.
      const refused = await h.call('GET', '/api/audit', { principal: webAdmin });
      expect(refused.status).toBe(403);
      expect(refused.json.reason).toBe("reading the installation's audit trail needs the admin role on all applications");
    });

    test('filters by action, environment and actor; pages with limit and cursor', async () => {
      const read = async (query: Record<string, string>) => (await h.call('GET', '/api/apps/web/audit', { principal: admin, query })).json;
      expect((await read({ action: 'deploy' })).items.map((e: AuditEntryView) => e.actor)).toEqual(['token ci', 'ada']);
      expect((await read({ environment: 'staging' })).items.map((e: AuditEntryView) => e.action)).toEqual(['teardown']);
      expect((await read({ actor: 'token ci' })).items.map((e: AuditEntryView) => e.apiToken)).toEqual(['abcdefghijkl']);
      const first = await read({ limit: '3' });
      expect(first.items).toHaveLength(3);
      const second = await read({ limit: '3', cursor: first.cursor });
      expect(second.items.map((e: AuditEntryView) => e.action)).toEqual(['deploy']);
      expect(second.cursor).toBeUndefined();
    });

    test('bad query values answer 400 naming the field', async () => {
      const cases = [
        [{ action: 'nuke' }, 'action'], [{ limit: '0' }, 'limit'], [{ environment: 'Bad!' }, 'environment'], [{ format: 'xml' }, 'format'], [{ cursor: 'bm9wZQ' }, 'cursor'],
      ] as const;
      for (const [query, field] of cases) {
        const response = await h.call('GET', '/api/apps/web/audit', { principal: admin, query });
        expect({ field, status: response.status }).toEqual({ field, status: 400 });
        expect(response.json.reason).toContain(field);
      }
    });

    test('format=jsonl exports every match as JSON lines, newest first', async () => {
      const page = (await h.call('GET', '/api/apps/web/audit', { principal: admin, query: { action: 'deploy' } })).json;
      const response = await handleApiRequest({ method: 'GET', path: '/api/apps/web/audit', query: { format: 'jsonl', action: 'deploy' }, body: '', principal: admin }, h.deps);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
      expect(response.body.endsWith('\n')).toBe(true);
      expect(response.body.trimEnd().split('\n').map(line => JSON.parse(line))).toEqual(page.items);
    });
  });
});
