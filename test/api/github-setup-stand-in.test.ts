import { readFileSync, statSync } from 'fs';
import { FakeLaunchQueue } from './fakes';
import { SETUP_ADMIN, SETUP_INSTALLATION as INSTALLATION, SetupServer, startSetupServer } from './setup-server';
import { secretNames } from '../../src/contract/secret-names';
import { DashboardServer } from '../../src/local/dashboard-server';
import { GitHubStandIn } from '../../src/local/github-stand-in/stand-in';

/**
 * The manifest flow end to end over HTTP, as a browser would walk it: local mode's server (the
 * control API, the webhook) with the GitHub stand-in as GitHub, the App's credentials landing in
 * the data directory's secrets file; then installing, a push GitHub could not deliver, and its
 * redelivery from the API.
 */
const NO_COMMIT = '0'.repeat(40);

let setup: SetupServer;
let standIn: GitHubStandIn;
let server: DashboardServer;
let queue: FakeLaunchQueue;
let token: string;
let commit: string;
let logs: Record<string, unknown>[];
let secretsFile: string;

beforeAll(async () => {
  setup = await startSetupServer();
  ({ standIn, server, queue, commit, logs, secretsFile } = setup);
  const signIn = await fetch(`${server.url}/auth/local/sign-in`, { method: 'POST', body: JSON.stringify(SETUP_ADMIN) });
  token = ((await signIn.json()) as { token: string }).token;
}, 60_000);

afterAll(async () => {
  await setup?.close();
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'authorization': `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

/** A form post as the browser sends it; redirects are not followed (each hop is asserted). */
async function postForm(url: string, fields: Record<string, string | string[]>): Promise<Response> {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const one of [value].flat()) form.append(name, one);
  return fetch(url, { method: 'POST', body: form, redirect: 'manual' });
}

/** The hidden fields of the first form on an HTML page. */
function hiddenFields(html: string): Record<string, string> {
  const unescape = (text: string) => text.replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code)))
    .replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, '\'').replace(/&amp;/g, '&');
  return Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map(([, name, value]) => [name, unescape(value)]));
}

test('manifest form → GitHub\'s page → callback: the App exists and its credentials are in the secrets file, never in an answer', async () => {
  expect(await api('GET', '/api/github')).toEqual({ status: 200, json: { configured: false, canCreate: true } });
  const { status, json: form } = await api('POST', '/api/github/manifest', {});
  expect(status).toBe(200);
  expect(form.action.startsWith(`${standIn.url}/settings/apps/new?state=`)).toBe(true);
  expect(form.manifest).toMatchObject({
    hook_attributes: { url: `${server.url}/webhook` },
    redirect_url: `${server.url}/github/app-created`,
    setup_url: `${server.url}/#/setup`,
  });

  // GitHub's page: the admin confirms; GitHub makes the App and sends the browser back with a code.
  const githubPage = await postForm(form.action, { manifest: JSON.stringify(form.manifest) });
  expect(githubPage.status).toBe(200);
  const confirmed = await postForm(`${standIn.url}/settings/apps/create`, hiddenFields(await githubPage.text()));
  expect(confirmed.status).toBe(302);
  const callback = confirmed.headers.get('location')!;
  expect(callback.startsWith(`${server.url}/github/app-created?code=`)).toBe(true);

  const back = await fetch(callback, { redirect: 'manual' });
  expect(back.status).toBe(302);
  expect(back.headers.get('location')).toBe(`${server.url}/#/setup?created=1`);
  const answered = await back.text();

  // The secrets file holds both secrets (owner-only), with a key that is a real RSA key.
  const file = JSON.parse(readFileSync(secretsFile, 'utf8'));
  expect(statSync(secretsFile).mode.toString(8).slice(-3)).toBe('600');
  const credentials = JSON.parse(file[secretNames.githubApp(INSTALLATION)]);
  expect(credentials).toEqual({
    appId: expect.stringMatching(/^\d+$/),
    slug: 'trellis-local',
    privateKey: expect.stringContaining('BEGIN RSA PRIVATE KEY'),
    clientId: expect.stringMatching(/^Iv1\./),
    clientSecret: expect.any(String),
    htmlUrl: `${standIn.url}/apps/trellis-local`,
  });
  const webhook = JSON.parse(file[secretNames.githubAppWebhook(INSTALLATION)]);
  expect(webhook).toEqual({ secret: expect.any(String) });

  const view = await api('GET', '/api/github');
  expect(view.json).toEqual({
    configured: true,
    canCreate: true,
    app: { slug: 'trellis-local', htmlUrl: `${standIn.url}/apps/trellis-local`, installUrl: `${standIn.url}/apps/trellis-local/installations/new` },
    repositories: [],
  });
  const seen = JSON.stringify([answered, view, logs]);
  for (const secret of [credentials.privateKey, credentials.clientSecret, webhook.secret, new URL(callback).searchParams.get('code')!]) {
    expect(seen).not.toContain(secret);
  }

  // The same return from GitHub again is refused: the state was used.
  const again = await fetch(callback, { redirect: 'manual' });
  expect(again.status).toBe(400);
  expect(JSON.parse(readFileSync(secretsFile, 'utf8'))).toEqual(file);
});

test('installing the App: GitHub sends the admin back to the setup page and the repository is listed', async () => {
  const installed = await postForm(`${standIn.url}/apps/trellis-local/installations`, { repositories: ['acme/web'] });
  expect(installed.status).toBe(302);
  const setupPage = new URL(installed.headers.get('location')!);
  expect(`${setupPage.origin}${setupPage.pathname}${setupPage.hash}`).toBe(`${server.url}/#/setup`);
  expect((await api('GET', '/api/github')).json.repositories).toEqual([{ fullName: 'acme/web', private: true, defaultBranch: 'main' }]);
});

test('a push Trellis could not take is listed as missed; its redelivery reaches Trellis and the list empties', async () => {
  expect((await api('GET', '/api/github/deliveries')).json).toEqual({ items: [] });
  queue.failNext = 'the launch queue is down';
  // Signed with the App's webhook secret (as stored by the callback): accepted, then the queue fails.
  expect(await standIn.deliverPush('acme/web', { ref: 'refs/heads/main', before: NO_COMMIT, after: commit })).toBe(500);

  const missed = await api('GET', '/api/github/deliveries');
  expect(missed.json.items).toEqual([expect.objectContaining({ event: 'push', statusCode: 500, attempts: 1 })]);
  const [{ id, guid }] = missed.json.items;

  expect(await api('POST', `/api/github/deliveries/${id}/redeliver`, {})).toEqual({ status: 202, json: { redelivered: id } });
  const attempts = standIn.deliveries().filter(delivery => delivery.guid === guid);
  expect(attempts.map(delivery => [delivery.redelivery, delivery.statusCode])).toEqual([[false, 500], [true, 202]]);
  expect(queue.sent).toHaveLength(1);
  expect((await api('GET', '/api/github/deliveries')).json).toEqual({ items: [] });
});
