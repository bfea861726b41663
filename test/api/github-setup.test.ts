import { FakeGitHub, attempt, fakeCredentials } from './fake-github';
import { Harness, INSTALLATION, admin, apiHarness, deployer, viewer } from './harness';
import { secretNames } from '../../src/contract/secret-names';
import { ApiDeps, handleApiRequest } from '../../src/runtime/api/control-api';
import { Clock, Principal } from '../../src/runtime/core';
import { ManualClock, T0 } from '../store/fixtures';

const URLS = { api: 'https://api.example/', dashboard: 'https://dash.example', webhook: 'https://hooks.example/webhook' };
/** Admin of one application only: not an admin of the installation. */
const webAdmin: Principal = { subject: 'sub-wil', name: 'wil', grants: [{ application: 'web', role: 'admin' }] };
const DAY = 86_400_000;

interface CallOptions {
  readonly principal?: Principal;
  readonly body?: unknown;
  readonly query?: Record<string, string>;
  readonly clock?: Clock;
}

describe('GitHub setup routes (a fake GitHub)', () => {
  let h: Harness;
  let github: FakeGitHub;
  let deps: ApiDeps;

  beforeEach(async () => {
    h = await apiHarness();
    github = new FakeGitHub();
    deps = { ...h.deps, github, urls: URLS };
  });

  async function call(method: string, path: string, options: CallOptions = {}) {
    const response = await handleApiRequest({
      method, path, query: options.query ?? {}, body: options.body === undefined ? '' : JSON.stringify(options.body), principal: options.principal,
    }, options.clock ? { ...deps, clock: options.clock } : deps);
    const isJson = (response.headers['content-type'] ?? '').startsWith('application/json');
    return { status: response.statusCode, headers: response.headers, text: response.body, json: isJson ? JSON.parse(response.body) : undefined };
  }

  /** The state of a manifest form an admin asked for. */
  async function manifestState(body: unknown = {}, clock?: Clock): Promise<string> {
    const response = await call('POST', '/api/github/manifest', { principal: admin, body, clock });
    expect(response.status).toBe(200);
    return new URL(response.json.action).searchParams.get('state')!;
  }

  /** GitHub was asked to convert exactly `codes`, and no secret is stored (since the test last cleared them). */
  function expectConvertedOnly(...codes: string[]): void {
    expect(github.converted).toEqual(codes);
    expect(h.secrets.secrets.size).toBe(0);
  }

  const returnFromGitHub = (code: string, state: string) => call('GET', '/github/app-created', { query: { code, state } });
  const stored = () => ({
    app: h.secrets.value(secretNames.githubApp(INSTALLATION)),
    webhook: h.secrets.value(secretNames.githubAppWebhook(INSTALLATION)),
  });

  test('the manifest asks for the permissions, events and URLs Trellis needs; the form goes to the admin\'s account or an organization', async () => {
    const mine = await call('POST', '/api/github/manifest', { principal: admin, body: {} });
    expect(mine.status).toBe(200);
    expect(mine.json.action).toMatch(/^https:\/\/github\.example\/settings\/apps\/new\?state=[A-Za-z0-9_-]{43}$/);
    expect(mine.json.manifest).toEqual({
      name: 'Trellis (acme)',
      url: 'https://dash.example/',
      hook_attributes: { url: 'https://hooks.example/webhook', active: true },
      redirect_url: 'https://api.example/github/app-created',
      setup_url: 'https://dash.example/#/setup',
      callback_urls: ['https://api.example/auth/github/callback'],
      public: false,
      default_permissions: { contents: 'read', statuses: 'write', deployments: 'write', pull_requests: 'write', metadata: 'read', members: 'read' },
      default_events: ['push', 'pull_request'],
    });

    const org = await call('POST', '/api/github/manifest', { principal: admin, body: { name: 'Acme deploys', organization: 'acme-corp' } });
    expect(org.json.action).toMatch(/^https:\/\/github\.example\/organizations\/acme-corp\/settings\/apps\/new\?state=[A-Za-z0-9_-]{43}$/);
    expect(org.json.manifest.name).toBe('Acme deploys');
    // Each form has its own state.
    expect(new URL(org.json.action).searchParams.get('state')).not.toBe(new URL(mine.json.action).searchParams.get('state'));
  });

  test('an organization configured for the installation is where the App is made unless the admin names another', async () => {
    deps = { ...deps, githubOrganization: 'acme-corp' };
    expect((await call('GET', '/api/github', { principal: admin })).json).toEqual({ configured: false, canCreate: true, organization: 'acme-corp' });
    const configured = await call('POST', '/api/github/manifest', { principal: admin, body: {} });
    expect(configured.json.action).toMatch(/^https:\/\/github\.example\/organizations\/acme-corp\/settings\/apps\/new\?state=/);
    const named = await call('POST', '/api/github/manifest', { principal: admin, body: { organization: 'acme-labs' } });
    expect(named.json.action).toMatch(/^https:\/\/github\.example\/organizations\/acme-labs\/settings\/apps\/new\?state=/);
  });

  test('the manifest body is checked field by field', async () => {
    const bad = await call('POST', '/api/github/manifest', { principal: admin, body: { name: 'x'.repeat(35), organization: '-acme', replace: 'yes' } });
    expect(bad.status).toBe(400);
    expect(bad.json.reason).toContain('name');
    expect(bad.json.reason).toContain('organization');
    expect(bad.json.reason).toContain('replace');
    expect((await call('POST', '/api/github/manifest', { principal: admin, body: { nmae: 'x' } })).json.reason).toContain('name');
  });

  test('the callback stores the App\'s credentials as the two secrets and sends the browser to the setup page; no secret in the answer or the log', async () => {
    const state = await manifestState();
    github.codes.set('code-1', fakeCredentials(1));

    const back = await returnFromGitHub('code-1', state);
    expect(back.status).toBe(302);
    expect(back.headers.location).toBe('https://dash.example/#/setup?created=1');
    const { webhookSecret, ...credentials } = fakeCredentials(1);
    expect(stored()).toEqual({ app: credentials, webhook: { secret: webhookSecret } });

    github.credentials = credentials;
    const view = await call('GET', '/api/github', { principal: admin });
    expect(view.json).toEqual({
      configured: true,
      canCreate: true,
      app: { slug: 'trellis-acme-1', htmlUrl: 'https://github.example/apps/trellis-acme-1', installUrl: 'https://github.example/apps/trellis-acme-1/installations/new' },
      repositories: [{ fullName: 'acme/web', private: true, defaultBranch: 'main' }],
    });
    const everything = JSON.stringify([back, view, h.logs]);
    for (const secret of [credentials.privateKey, credentials.clientSecret, webhookSecret, 'SECRET', 'code-1']) expect(everything).not.toContain(secret);
    expect(h.logs).toContainEqual(expect.objectContaining({ message: 'github app created', slug: 'trellis-acme-1', subject: admin.subject }));
  });

  test('a state is good once: the same callback again, or another code with it, is refused', async () => {
    const state = await manifestState();
    github.codes.set('code-1', fakeCredentials(1));
    expect((await returnFromGitHub('code-1', state)).status).toBe(302);
    h.secrets.secrets.clear();
    github.codes.set('code-2', fakeCredentials(2));

    for (const code of ['code-1', 'code-2']) {
      const again = await returnFromGitHub(code, state);
      expect(again.status).toBe(400);
      expect(again.text).toContain('expired or was used');
    }
    expectConvertedOnly('code-1');
  });

  test('a code is good once: with a fresh state it is refused before GitHub is asked', async () => {
    github.codes.set('code-1', fakeCredentials(1));
    expect((await returnFromGitHub('code-1', await manifestState())).status).toBe(302);
    github.codes.set('code-1', fakeCredentials(9)); // even if GitHub took it again
    h.secrets.secrets.clear();
    const again = await returnFromGitHub('code-1', await manifestState({ replace: true }));
    expect(again.status).toBe(400);
    expect(again.text).toContain('used already');
    expectConvertedOnly('code-1');
  });

  test('a forged, malformed or missing state is refused and GitHub is not asked', async () => {
    github.codes.set('code-1', fakeCredentials(1));
    const forged = 'A'.repeat(43);
    for (const query of [{ code: 'code-1', state: forged }, { code: 'code-1', state: 'short' }, { code: 'code-1' }, { state: forged }]) {
      const response = await call('GET', '/github/app-created', { query: query as Record<string, string> });
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
      expect(response.headers['content-security-policy']).toBe("default-src 'none'");
      expect(response.text).not.toContain('code-1');
    }
    expectConvertedOnly();
  });

  test('a state expires 10 minutes after the form was made', async () => {
    github.codes.set('late', fakeCredentials(1));
    github.codes.set('in-time', fakeCredentials(2));
    // The harness's store clock reads T0: these forms were made 10 minutes 1 second and 9 minutes before.
    const late = await manifestState({}, new ManualClock(T0 - 601_000));
    const inTime = await manifestState({}, new ManualClock(T0 - 540_000));
    expect((await returnFromGitHub('late', late)).status).toBe(400);
    expect(github.converted).toEqual([]);
    expect((await returnFromGitHub('in-time', inTime)).status).toBe(302);
    expect(stored().app.slug).toBe('trellis-acme-2');
  });

  test('a connected App is not replaced unless the admin asked for it', async () => {
    const { webhookSecret: _, ...first } = fakeCredentials(1);
    const plain = await manifestState();
    github.credentials = first; // made meanwhile (another tab)
    await h.secrets.update(secretNames.githubApp(INSTALLATION), { ...first });

    const refused = await call('POST', '/api/github/manifest', { principal: admin, body: {} });
    expect(refused.status).toBe(409);
    expect(refused.json.reason).toContain('trellis-acme-1');
    github.codes.set('code-2', fakeCredentials(2));
    const overwrite = await returnFromGitHub('code-2', plain);
    expect(overwrite.status).toBe(409);
    expect(github.converted).toEqual([]);
    expect(stored().app.slug).toBe('trellis-acme-1');

    const replacing = await manifestState({ replace: true });
    github.codes.set('code-3', fakeCredentials(3));
    expect((await returnFromGitHub('code-3', replacing)).status).toBe(302);
    const { webhookSecret, ...third } = fakeCredentials(3);
    expect(stored()).toEqual({ app: third, webhook: { secret: webhookSecret } });
  });

  test('a conversion GitHub refuses stores nothing and says to start again', async () => {
    const response = await returnFromGitHub('never-issued', await manifestState());
    expect(response.status).toBe(502);
    expect(response.text).toContain('Start again');
    expect(h.secrets.secrets.size).toBe(0);
  });

  test('only an admin of every application makes the App, reads deliveries or redelivers', async () => {
    github.credentials = fakeCredentials(1);
    github.attempts = [attempt('g-1', 500, new Date(T0 - 1000).toISOString())];
    const id = github.attempts[0].id;
    for (const principal of [viewer, deployer, webAdmin]) {
      for (const [method, path] of [['POST', '/api/github/manifest'], ['GET', '/api/github/deliveries'], ['POST', `/api/github/deliveries/${id}/redeliver`]]) {
        const response = await call(method, path, { principal, body: method === 'POST' ? {} : undefined });
        expect({ who: principal.name, path, status: response.status }).toEqual({ who: principal.name, path, status: 403 });
        expect(response.json.reason).toContain('needs the admin role on all applications');
      }
    }
    expect(github.redelivered).toEqual([]);
    expect(github.deliveriesSince).toEqual([]);
    // Anyone signed in sees whether GitHub is connected, not what it reaches.
    const seen = await call('GET', '/api/github', { principal: viewer });
    expect(seen.json).toEqual({ configured: true, canCreate: true, app: expect.objectContaining({ slug: 'trellis-acme-1' }) });
  });

  test('an App given by the installation\'s own secrets is neither created nor replaced here', async () => {
    deps = { ...deps, githubAppGiven: true };
    expect((await call('GET', '/api/github', { principal: admin })).json).toMatchObject({ canCreate: false });
    for (const replace of [false, true]) {
      const manifest = await call('POST', '/api/github/manifest', { principal: admin, body: { replace } });
      expect(manifest.status).toBe(409);
      expect(manifest.json.reason).toContain('GitHubApp.fromSecrets');
    }
  });

  test('without a GitHub connection: not configured, nothing to create, no deliveries', async () => {
    deps = { ...h.deps };
    expect((await call('GET', '/api/github', { principal: admin })).json).toEqual({ configured: false, canCreate: false });
    const manifest = await call('POST', '/api/github/manifest', { principal: admin, body: {} });
    expect(manifest.status).toBe(409);
    expect(manifest.json.reason).toContain('GitHubApp.fromSetupPage()');
    expect((await call('GET', '/api/github/deliveries', { principal: admin })).json).toEqual({ items: [] });
    expect((await call('POST', '/api/github/deliveries/5/redeliver', { principal: admin, body: {} })).status).toBe(409);
  });

  describe('missed deliveries', () => {
    beforeEach(() => {
      github.credentials = fakeCredentials(1);
    });

    const at = (msBefore: number) => new Date(T0 - msBefore).toISOString();

    test('lists each GUID no attempt of which was answered 2xx in the last 3 days, by its newest attempt, newest first', async () => {
      const failedTwice = [attempt('twice', 500, at(50_000)), attempt('twice', 502, at(40_000), { redelivery: true })];
      const timedOut = attempt('timeout', 0, at(30_000), { event: 'pull_request', action: 'opened' });
      github.attempts = [
        attempt('recovered', 500, at(60_000)), attempt('recovered', 202, at(20_000), { redelivery: true }),
        ...failedTwice,
        timedOut,
        attempt('fine', 202, at(10_000)),
        attempt('too-old', 500, at(3 * DAY + 60_000)),
      ];
      const { status, json } = await call('GET', '/api/github/deliveries', { principal: admin });
      expect(status).toBe(200);
      expect(json.items).toEqual([
        { id: timedOut.id, guid: 'timeout', event: 'pull_request', action: 'opened', repository: 'acme/web', deliveredAt: at(30_000), statusCode: 0, attempts: 1 },
        { id: failedTwice[1].id, guid: 'twice', event: 'push', repository: 'acme/web', deliveredAt: at(40_000), statusCode: 502, attempts: 2 },
      ]);
      // The log is read back 3 days from the API's clock.
      expect(Date.parse(github.deliveriesSince[0])).toBeGreaterThanOrEqual(T0 - 3 * DAY);
      expect(Date.parse(github.deliveriesSince[0])).toBeLessThan(T0 - 3 * DAY + 60_000);
    });

    test('a failed delivery is sent again by its id', async () => {
      github.attempts = [attempt('lost', 500, at(1000))];
      const id = github.attempts[0].id;
      const response = await call('POST', `/api/github/deliveries/${id}/redeliver`, { principal: admin, body: {} });
      expect({ status: response.status, json: response.json }).toEqual({ status: 202, json: { redelivered: id } });
      expect(github.redelivered).toEqual([id]);
      expect(h.logs).toContainEqual(expect.objectContaining({ message: 'github delivery redelivered', deliveryId: id, subject: admin.subject }));
    });

    test('a delivery id must be a positive integer: anything else is refused before GitHub is asked', async () => {
      for (const id of ['0', '-1', 'abc', '1.5', '1e3', '012', '99999999999999999']) {
        const response = await call('POST', `/api/github/deliveries/${id}/redeliver`, { principal: admin, body: {} });
        expect({ id, status: response.status }).toEqual({ id, status: 400 });
        expect(response.json.reason).toContain('delivery');
      }
      expect(github.redelivered).toEqual([]);
    });
  });
});
