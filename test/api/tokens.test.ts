import { Harness, admin, apiHarness, deployer, sha, viewer } from './harness';
import { ApiTokenAuthenticator } from '../../src/runtime/auth/api-token-authenticator';
import { ApiTokenView, CreatedApiToken, Principal, UnauthorizedError } from '../../src/runtime/core';
import { apiTokenPrincipal } from '../../src/runtime/core/api-tokens';

const webAdmin: Principal = { subject: 'sub-wanda', name: 'wanda', grants: [{ application: 'web', role: 'admin' }] };
const apiAdmin: Principal = { subject: 'sub-alan', name: 'alan', grants: [{ application: 'api', role: 'admin' }, { application: 'web', role: 'viewer' }] };

describe('control API: API tokens', () => {
  let h: Harness;
  let refusals: Record<string, unknown>[];
  let auth: ApiTokenAuthenticator;

  beforeEach(async () => {
    h = await apiHarness();
    refusals = [];
    auth = new ApiTokenAuthenticator(h.store.apiTokens, { authenticate: async () => { throw new UnauthorizedError('not a JWT here'); } }, h.deps.clock, entry => refusals.push(entry));
  });

  const create = (body: unknown, principal: Principal = admin) => h.call('POST', '/api/tokens', { principal, body });

  test('an admin creates a token: 201, shown once with its secret, then listed without it', async () => {
    const response = await create({ name: 'github-actions', role: 'deployer', application: 'web', expiresInDays: 30 }, webAdmin);
    expect(response.status).toBe(201);
    expect(response.headers['cache-control']).toBe('no-store');
    const created = response.json as CreatedApiToken;
    expect(created).toEqual({
      id: expect.stringMatching(/^[a-z0-9]{12}$/),
      name: 'github-actions',
      role: 'deployer',
      application: 'web',
      createdBy: 'wanda',
      createdAt: expect.any(String),
      expiresAt: new Date(Date.parse(created.createdAt) + 30 * 86_400_000).toISOString(),
      token: expect.stringMatching(new RegExp(`^trellis_${created.id}_[A-Za-z0-9_-]{43}$`)),
    });
    const { token, ...view } = created;
    expect((await h.call('GET', '/api/tokens', { principal: webAdmin })).json).toEqual({ items: [view] });
    // Neither the list nor the log ever holds the secret.
    const secret = token.slice(`trellis_${created.id}_`.length);
    expect(h.responses.slice(1).map(r => r.text).join('')).not.toContain(secret);
    expect(JSON.stringify(h.logs)).not.toContain(secret);
    expect(h.logs).toContainEqual({
      message: 'api token created', token: created.id, name: 'github-actions', role: 'deployer', application: 'web', actor: 'wanda', expiresAt: created.expiresAt,
    });
  });

  test('defaults: every application, 90 days', async () => {
    const created = (await create({ name: 'nightly', role: 'viewer' })).json as CreatedApiToken;
    expect(created).toMatchObject({ application: '*', role: 'viewer' });
    expect(Date.parse(created.expiresAt) - Date.parse(created.createdAt)).toBe(90 * 86_400_000);
  });

  test('the token works against the API with its role on its application only', async () => {
    h.commits.push('acme/web', 'main', { sha: sha(9), message: 'Ship it', author: 'octocat' });
    const { token } = (await create({ name: 'ci', role: 'deployer', application: 'web' })).json as CreatedApiToken;
    const principal = await auth.authenticate(token);
    const deployed = await h.call('POST', '/api/apps/web/environments/dev/deploy', { principal, body: {} });
    expect(deployed.status).toBe(202);
    expect(deployed.json.trigger).toEqual({ kind: 'manual', actor: 'token ci' });
    expect(await h.call('POST', '/api/apps/api/environments/dev/deploy', { principal, body: {} })).toMatchObject({
      status: 403, json: { reason: 'deploying needs the deployer role on application api' },
    });
    expect((await h.call('GET', '/api/apps/api', { principal })).status).toBe(403);
    expect((await h.call('GET', '/api/me', { principal })).json).toEqual({ subject: principal.subject, name: 'token ci', grants: [{ application: 'web', role: 'deployer' }] });
  });

  test('revoking: 200 with the revoked token; it no longer signs in, and it is gone from the list', async () => {
    const created = (await create({ name: 'ci', role: 'viewer', application: 'web' })).json as CreatedApiToken;
    const { token, ...view } = created;
    await auth.authenticate(token);
    const revoked = await h.call('DELETE', `/api/tokens/${created.id}`, { principal: webAdmin });
    expect(revoked.status).toBe(200);
    expect(revoked.json).toMatchObject({ ...view, lastUsedAt: expect.any(String) });
    await expect(auth.authenticate(token)).rejects.toThrow(UnauthorizedError);
    expect((await h.call('GET', '/api/tokens', { principal: admin })).json).toEqual({ items: [] });
    expect(await h.call('DELETE', `/api/tokens/${created.id}`, { principal: admin })).toMatchObject({ status: 404 });
    expect(h.logs).toContainEqual({ message: 'api token revoked', token: created.id, name: 'ci', application: 'web', actor: 'wanda' });
  });

  test('no token mints or revokes tokens, whatever its role', async () => {
    const created = (await create({ name: 'root', role: 'admin' })).json as CreatedApiToken;
    const principal = await auth.authenticate(created.token);
    expect(await create({ name: 'child', role: 'viewer', application: 'web' }, principal)).toMatchObject({
      status: 403, json: { error: 'forbidden', reason: 'an API token cannot create API tokens: sign in as a person (no token mints or revokes tokens)' },
    });
    expect(await h.call('DELETE', `/api/tokens/${created.id}`, { principal })).toMatchObject({
      status: 403, json: { reason: 'an API token cannot revoke API tokens: sign in as a person (no token mints or revokes tokens)' },
    });
    // An admin token may still read the list (it administers everything).
    expect((await h.call('GET', '/api/tokens', { principal })).json.items).toHaveLength(1);
  });

  test('only admins of the application create, list and revoke its tokens; `*` tokens need admin of all', async () => {
    expect(await create({ name: 'ci', role: 'viewer', application: 'web' }, deployer)).toMatchObject({
      status: 403, json: { reason: 'creating an API token needs the admin role on application web' },
    });
    expect(await create({ name: 'ci', role: 'viewer' }, webAdmin)).toMatchObject({
      status: 403, json: { reason: 'creating an API token for all applications needs the admin role on all applications' },
    });
    expect(await create({ name: 'ci', role: 'viewer', application: 'web' }, apiAdmin)).toMatchObject({ status: 403 });

    const web = (await create({ name: 'web-ci', role: 'deployer', application: 'web' })).json as CreatedApiToken;
    const api = (await create({ name: 'api-ci', role: 'deployer', application: 'api' })).json as CreatedApiToken;
    const all = (await create({ name: 'all', role: 'viewer' })).json as CreatedApiToken;
    const names = async (principal: Principal) => ((await h.call('GET', '/api/tokens', { principal })).json.items as ApiTokenView[]).map(token => token.name);
    expect(await names(admin)).toEqual(['web-ci', 'api-ci', 'all']);
    expect(await names(webAdmin)).toEqual(['web-ci']);
    expect(await names(apiAdmin)).toEqual(['api-ci']);
    expect(await h.call('GET', '/api/tokens', { principal: viewer })).toMatchObject({
      status: 403, json: { reason: 'listing API tokens needs the admin role on an application' },
    });

    expect(await h.call('DELETE', `/api/tokens/${api.id}`, { principal: webAdmin })).toMatchObject({
      status: 403, json: { reason: `revoking API token ${api.id} needs the admin role on application api` },
    });
    expect((await h.call('DELETE', `/api/tokens/${all.id}`, { principal: webAdmin })).status).toBe(403);
    expect((await h.call('DELETE', `/api/tokens/${web.id}`, { principal: webAdmin })).status).toBe(200);
    expect(await names(admin)).toEqual(['api-ci', 'all']);
  });

  test('bad bodies are refused naming the field; nothing is stored', async () => {
    const issue = async (body: unknown) => (await create(body)).json.reason as string;
    expect(await issue({ role: 'viewer' })).toBe('name: is required');
    expect(await issue({ name: 'has space', role: 'viewer' })).toBe('name: must be 1-64 letters, digits, dots, underscores or hyphens');
    expect(await issue({ name: 'x'.repeat(65), role: 'viewer' })).toBe('name: must be 1-64 letters, digits, dots, underscores or hyphens');
    expect(await issue({ name: 'ci', role: 'owner' })).toBe('role: must be one of viewer, deployer, admin');
    expect(await issue({ name: 'ci', role: 'viewer', application: 'Web!' })).toMatch(/^application: 'Web!' must be .* \(or '\*' for every application\)$/);
    expect(await issue({ name: 'ci', role: 'viewer', expiresInDays: 0 })).toBe('expiresInDays: must be a whole number of days from 1 to 365');
    expect(await issue({ name: 'ci', role: 'viewer', expiresInDays: 366 })).toBe('expiresInDays: must be a whole number of days from 1 to 365');
    expect(await issue({ name: 'ci', role: 'viewer', expiresInDays: 1.5 })).toBe('expiresInDays: must be a whole number of days from 1 to 365');
    expect(await issue({ name: 'ci', role: 'viewer', scope: 'all' })).toMatch(/^scope: /);
    expect(await create({ name: 'ci', role: 'viewer', application: 'shop' })).toMatchObject({ status: 404, json: { reason: 'application shop does not exist' } });
    expect(await h.store.apiTokens.list()).toEqual([]);
  });

  test('a token path parameter must be a token id, and a whole token given there is not echoed', async () => {
    const { token } = (await create({ name: 'ci', role: 'viewer' })).json as CreatedApiToken;
    const response = await h.call('DELETE', `/api/tokens/${token}`, { principal: admin });
    expect(response.status).toBe(400);
    expect(response.json.reason).toMatch(/^token: is not a token id/);
    expect(response.text).not.toContain(token);
    expect(await h.call('DELETE', '/api/tokens/abcdefghij12', { principal: admin })).toMatchObject({ status: 404 });
  });

  test('without a principal every token route answers 401', async () => {
    for (const [method, path] of [['GET', '/api/tokens'], ['POST', '/api/tokens'], ['DELETE', '/api/tokens/abcdefghij12']]) {
      expect((await h.call(method, path, { body: {} })).status).toBe(401);
    }
  });

  test('the principal of a token matches apiTokenPrincipal', async () => {
    const created = (await create({ name: 'ci', role: 'viewer', application: 'web' })).json as CreatedApiToken;
    expect(await auth.authenticate(created.token)).toEqual(apiTokenPrincipal(created));
  });
});
