import { Harness, admin, apiHarness, deployer, viewer } from './harness';
import { MAX_BODY_BYTES } from '../../src/runtime/api/request-body';

describe('control API requests: routing, bodies, parameters', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await apiHarness();
  });

  test('an unknown route: 404 JSON', async () => {
    for (const path of ['/api/nothing', '/api/apps/web/environment', '/api/apps/web/', '/apps', '/api/deployments']) {
      const response = await h.call('GET', path, { principal: viewer });
      expect({ path, status: response.status, error: response.json.error }).toEqual({ path, status: 404, error: 'not_found' });
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    }
    expect((await h.call('GET', '/api/what\u0000\u00e9ver', { principal: viewer })).json.reason).toBe('no route GET /api/what??ver');
  });

  test('a known path with another method: 405 with Allow', async () => {
    const response = await h.call('PUT', '/api/apps/web', { principal: admin });
    expect(response.status).toBe(405);
    expect(response.json).toEqual({ error: 'method_not_allowed', reason: '/api/apps/web answers GET, DELETE' });
    expect(response.headers.allow).toBe('GET, DELETE');
    expect((await h.call('GET', '/api/apps/web/environments', { principal: admin })).headers.allow).toBe('POST');
    expect((await h.call('GET', '/api/apps/web/environments/dev/deploy', { principal: admin })).headers.allow).toBe('POST');
    expect((await h.call('POST', '/api/apps/web/environments/dev/settings', { principal: admin })).status).toBe(405);
  });

  test('methods are matched case-insensitively', async () => {
    expect((await h.call('get', '/api/me', { principal: viewer })).status).toBe(200);
  });

  test('path parameters are validated: 400 naming the parameter', async () => {
    expect((await h.call('GET', '/api/apps/Web', { principal: viewer })).json)
      .toEqual({ error: 'invalid_input', reason: "app: 'Web' must be 1-40 lowercase letters, digits or single hyphens, start with a letter and not end with a hyphen" });
    expect((await h.call('GET', '/api/apps/web/environments/DEV%23x/deployments', { principal: viewer })).json.reason).toMatch(/^env: 'DEV%23x' must be 1-32/);
    expect((await h.call('GET', '/api/deployments/..%2F..', { principal: viewer })).json.reason).toBe("id: '..%2F..' is not a deployment id");
  });

  test('bodies above 64 KiB: 413, before anything is parsed', async () => {
    const big = JSON.stringify({ variables: { A: 'x'.repeat(MAX_BODY_BYTES) } });
    const response = await h.call('PUT', '/api/apps/web/environments/dev/settings', { principal: admin, body: big });
    expect(response.status).toBe(413);
    expect(response.json.error).toBe('payload_too_large');
    // Multi-byte characters count as bytes.
    const wide = `{"confirm": "${'é'.repeat(MAX_BODY_BYTES / 2)}"}`;
    expect((await h.call('POST', '/api/apps/web/environments/dev/teardown', { principal: admin, body: wide })).status).toBe(413);
  });

  test('invalid JSON and bodies that are not objects: 400 with the reason', async () => {
    expect((await h.call('POST', '/api/apps/web/environments/dev/deploy', { principal: deployer, body: '{' })).json).toEqual({ error: 'invalid_input', reason: 'body: is not valid JSON' });
    expect((await h.call('POST', '/api/apps/web/environments/dev/deploy', { principal: deployer, body: '"deploy"' })).json).toEqual({ error: 'invalid_input', reason: 'body: must be a JSON object' });
    expect((await h.call('POST', '/api/apps/web/environments/dev/deploy', { principal: deployer, body: 'null' })).json.reason).toBe('body: must be a JSON object');
    expect((await h.call('POST', '/api/apps/web/environments/dev/promote', { principal: deployer, body: { commit: 'abc' } })).json)
      .toEqual({ error: 'invalid_input', reason: 'commit: is not a known field; this request takes an empty object' });
    expect(h.queue.sent).toEqual([]);
  });

  test('GET ignores a body', async () => {
    expect((await h.call('GET', '/api/me', { principal: viewer, body: '{not json' })).status).toBe(200);
  });
});
