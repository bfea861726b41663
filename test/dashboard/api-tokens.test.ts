import { mkdirSync, rmSync } from 'fs';
import { join } from 'path';
import { Page } from 'playwright-core';
import { TestBrowser, launchBrowser } from './support/browser';
import { ROOT, buildDashboard } from './support/build-dashboard';
import { callWithToken, signInAs, signOutOf } from './support/local-session';
import { DashboardServer, startDashboardServer } from '../../src/local/dashboard-server';
import { LocalIdentity } from '../../src/local/local-identity';
import { Store } from '../../src/runtime/core';
import { newApiToken } from '../../src/runtime/core/api-tokens';
import { FakeCommitSource, FakeLaunchQueue, FakeSecretStore } from '../api/fakes';
import { FakeTaskRunner } from '../deployments/fake-task-runner';
import { appConfig, envConfig } from '../store/fixtures';
import { eventually } from '../support/eventually';
import { freshStore } from '../support/test-table';

// The callbacks given to page.evaluate run in the page, where this exists.
declare const navigator: any;

/**
 * API tokens on the dashboard, in Chromium on local mode's server over DynamoDB Local: an admin
 * makes a token for one application, sees it once (and copies it), the token works on the API
 * for that application only and never mints tokens, the list shows it used, and once revoked it
 * is refused. An admin of one application makes tokens for it alone; a viewer manages none.
 */
const ADMIN = { name: 'ada', password: 'ada-secret', groups: ['admin'] };
const WEB_ADMIN = { name: 'sam', password: 'sam-secret', groups: ['admin:web', 'viewer'] };
const VIEWER = { name: 'vic', password: 'vic-secret', groups: ['viewer'] };
/** `trellis_<id>_<secret>`: the secret is base64url, underscores included. */
const TOKEN = /^trellis_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
const COMMIT = 'a'.repeat(40);
const SCREENSHOTS = join(ROOT, 'test-reports/screenshots');

let assets: string;
let store: Store;
let server: DashboardServer;
let browser: TestBrowser;
let page: Page;
const logs: Record<string, unknown>[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  assets = buildDashboard();
  ({ store } = await freshStore());
  const dev = () => [envConfig('dev', { kind: 'development', branch: 'main' })];
  await store.config.syncApplications([appConfig('web', dev()), appConfig('docs', dev())]);
  const commits = new FakeCommitSource();
  commits.push('acme/web', 'main', { sha: COMMIT, message: 'ship it' });
  server = await startDashboardServer({
    store,
    identity: new LocalIdentity([ADMIN, WEB_ADMIN, VIEWER]),
    api: { queue: new FakeLaunchQueue(), commits, secrets: new FakeSecretStore(), runner: new FakeTaskRunner(), installation: 'local' },
    staticDir: assets,
    log: entry => logs.push(entry),
  });
  browser = await launchBrowser({ width: 1280, height: 800 });
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  page = await browser.context.newPage();
  page.on('pageerror', error => pageErrors.push(error.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (assets) rmSync(assets, { recursive: true, force: true });
});

afterEach(() => {
  expect(pageErrors.splice(0)).toEqual([]);
});

test('an admin makes a token for one application, sees it once, uses it there only, and revokes it', async () => {
  await signInAs(page, server.url, ADMIN);
  await page.getByTestId('tokens-link').click();
  await page.waitForURL(`${server.url}/#/tokens`);
  await page.getByTestId('tokens-empty').waitFor();

  // A name the API refuses: the dialog says which field and why.
  await page.getByTestId('new-token').click();
  await page.getByTestId('new-token-name').fill('ci web');
  await page.getByTestId('new-token-create').click();
  expect(await page.getByTestId('new-token-error-reason').textContent()).toContain('name');

  // All applications is a choice for this admin, but the narrowest scope comes first: one application, deployer.
  const applications = page.locator('select[data-testid="new-token-application"] option');
  await applications.nth(2).waitFor({ state: 'attached' });
  expect((await applications.allTextContents()).sort()).toEqual(['all applications', 'docs', 'web']);
  expect(await page.getByTestId('new-token-application').inputValue()).not.toBe('*');
  expect(await page.getByTestId('new-token-role').inputValue()).toBe('deployer');
  await page.getByTestId('new-token-name').fill('ci-web');
  await page.getByTestId('new-token-application').selectOption('web');
  await page.getByTestId('new-token-days').fill('30');
  await page.getByTestId('new-token-create').click();

  // Shown once, with the warning, and copied to the clipboard as it is.
  await page.getByTestId('token-shown-once').waitFor();
  const token = await page.getByTestId('created-token').inputValue();
  expect(token).toMatch(TOKEN);
  await page.screenshot({ path: join(SCREENSHOTS, 'api-token-created.png') });
  await page.getByTestId('copy-token').click();
  await page.getByText('Copied').waitFor();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
  await page.getByTestId('token-done').click();
  await page.getByTestId('new-token-dialog').waitFor({ state: 'detached' });

  // Listed by its id, never with its secret.
  const [, id, secret] = TOKEN.exec(token)!;
  const row = page.getByTestId(`token-${id}`);
  await row.waitFor();
  const cells = await row.locator('td').allTextContents();
  expect(cells.slice(0, 5)).toEqual(['ci-web', `trellis_${id}_…`, 'deployer', 'web', 'ada']);
  expect(cells[6]).toMatch(/in (30 days|4 weeks|1 month)/);
  expect(cells[7]).toBe('never');
  expect(await row.getAttribute('data-expired')).toBe('false');
  expect(await page.content()).not.toContain(token);

  // What a pipeline does with it: its application, as a deployer; not another; never more tokens.
  expect((await callWithToken(server.url, token, 'GET', '/api/apps/web')).status).toBe(200);
  const other = await callWithToken(server.url, token, 'GET', '/api/apps/docs');
  expect(other).toMatchObject({ status: 403, body: { reason: expect.stringContaining('docs') } });
  const deployed = await callWithToken(server.url, token, 'POST', '/api/apps/web/environments/dev/deploy', {});
  expect(deployed).toMatchObject({ status: 202, body: { commit: COMMIT, trigger: { actor: 'token ci-web' } } });
  const minted = await callWithToken(server.url, token, 'POST', '/api/tokens', { name: 'successor', role: 'admin', application: 'web' });
  expect(minted).toMatchObject({ status: 403, body: { reason: expect.stringContaining('API token') } });

  // The list shows it used (the page reads the list again when opened).
  await eventually('the token listed as used', async () => {
    await page.goto(`${server.url}/#/`);
    await page.goto(`${server.url}/#/tokens`);
    await row.waitFor();
    return (await row.locator('td').allTextContents())[7] !== 'never';
  }, 15_000, 200);
  await page.screenshot({ path: join(SCREENSHOTS, 'api-tokens.png') });

  // Revoked after typing its name: off the list, and refused from then on.
  await page.getByTestId(`revoke-${id}`).click();
  await page.getByTestId('revoke-confirm-input').fill('ci-we');
  expect(await page.getByTestId('revoke-confirm').isDisabled()).toBe(true);
  await page.getByTestId('revoke-confirm-input').fill('ci-web');
  await page.getByTestId('revoke-confirm').click();
  await row.waitFor({ state: 'detached' });
  await page.getByTestId('tokens-empty').waitFor();
  expect((await callWithToken(server.url, token, 'GET', '/api/apps/web')).status).toBe(401);

  // The secret was in the create answer only: in no log line of the server.
  expect(JSON.stringify(logs)).not.toContain(secret);
  expect(logs.some(entry => entry.message === 'api token created' && entry.token === id)).toBe(true);
  await signOutOf(page);
}, 120_000);

test('an expired token is marked on the list and refused by the API', async () => {
  // No path through the API makes one (a token lives a day at least): written as the store keeps them, a day past its expiry.
  const { id, token, secretHash } = newApiToken();
  const day = 24 * 60 * 60 * 1000;
  const createdAt = new Date(Date.now() - 31 * day).toISOString();
  const expiresAt = new Date(Date.now() - day).toISOString();
  await store.apiTokens.create({ id, secretHash, name: 'old-ci', role: 'deployer', application: 'docs', createdBy: 'ada', createdAt, expiresAt });
  expect((await callWithToken(server.url, token, 'GET', '/api/apps/docs')).status).toBe(401);
  await signInAs(page, server.url, ADMIN);
  await page.getByTestId('tokens-link').click();
  await page.getByTestId(`token-expired-${id}`).waitFor();
  expect(await page.getByTestId(`token-${id}`).getAttribute('data-expired')).toBe('true');
  expect(await page.getByTestId(`token-${id}`).locator('td').nth(6).textContent()).toMatch(/expired\s*yesterday|expired\s*1 day ago/);
  await signOutOf(page);
}, 60_000);

test('an admin of one application makes tokens for it alone; a viewer manages none', async () => {
  await signInAs(page, server.url, WEB_ADMIN);
  await page.getByTestId('tokens-link').click();
  await page.getByTestId('new-token').click();
  const applications = page.locator('select[data-testid="new-token-application"] option');
  await applications.first().waitFor({ state: 'attached' });
  expect(await applications.allTextContents()).toEqual(['web']);
  await page.getByTestId('new-token-name').fill('web-reader');
  await page.getByTestId('new-token-role').selectOption('viewer');
  await page.getByTestId('new-token-create').click();
  const token = await page.getByTestId('created-token').inputValue();
  expect(token).toMatch(TOKEN);
  await page.getByTestId('dialog-close').click();
  await page.getByTestId(`token-${TOKEN.exec(token)![1]}`).waitFor();
  // A viewer token reads and does nothing else.
  expect((await callWithToken(server.url, token, 'GET', '/api/apps/web')).status).toBe(200);
  expect((await callWithToken(server.url, token, 'POST', '/api/apps/web/environments/dev/deploy', {})).status).toBe(403);
  await signOutOf(page);

  await signInAs(page, server.url, VIEWER);
  expect(await page.getByTestId('tokens-link').count()).toBe(0);
  await page.goto(`${server.url}/#/tokens`);
  await page.getByTestId('tokens-not-admin').waitFor();
  expect(await page.getByTestId('new-token').count()).toBe(0);
  await signOutOf(page);
}, 120_000);
