import { mkdirSync, readFileSync, rmSync } from 'fs';
import { join } from 'path';
import { Page } from 'playwright-core';
import { TestBrowser, launchBrowser } from './support/browser';
import { ROOT, buildDashboard } from './support/build-dashboard';
import { callWithToken, localToken, signInAs, signOutOf } from './support/local-session';
import { DashboardServer, startDashboardServer } from '../../src/local/dashboard-server';
import { LocalIdentity } from '../../src/local/local-identity';
import { Store } from '../../src/runtime/core';
import { AuditEntryView } from '../../src/runtime/core/api-types';
import { FakeCommitSource, FakeLaunchQueue, FakeSecretStore } from '../api/fakes';
import { FakeTaskRunner } from '../deployments/fake-task-runner';
import { appConfig, envConfig } from '../store/fixtures';
import { eventually } from '../support/eventually';
import { freshStore } from '../support/test-table';

/**
 * The audit trail on the dashboard, in Chromium on local mode's server over DynamoDB Local: an
 * admin deploys, promotes, cancels and changes settings in the browser, an API token deploys
 * through the API; the application's audit page shows each action with its principal, filters
 * by action, environment and who, and exports the same entries as JSON lines. No secret value
 * is on the page or in the export. A viewer sees no link, and the API refuses them. A long
 * trail pages with Load more.
 */
const ADMIN = { name: 'ada', password: 'ada-secret', groups: ['admin'] };
const VIEWER = { name: 'vic', password: 'vic-secret', groups: ['viewer'] };
const COMMIT = 'a'.repeat(40);
const SECRET_VALUE = 'sk_live_do_not_show_4242';
const SCREENSHOTS = join(ROOT, 'test-reports/screenshots');

let assets: string;
let store: Store;
let server: DashboardServer;
let browser: TestBrowser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  assets = buildDashboard();
  ({ store } = await freshStore());
  await store.config.syncApplications([appConfig('web', [
    envConfig('dev', { kind: 'development', branch: 'main' }),
    envConfig('prod', { kind: 'production' }),
  ])]);
  const commits = new FakeCommitSource();
  commits.push('acme/web', 'main', { sha: COMMIT, message: 'ship it' });
  server = await startDashboardServer({
    store,
    identity: new LocalIdentity([ADMIN, VIEWER]),
    api: { queue: new FakeLaunchQueue(), commits, secrets: new FakeSecretStore(), runner: new FakeTaskRunner(), installation: 'local' },
    staticDir: assets,
    log: () => undefined,
  });
  browser = await launchBrowser({ width: 1280, height: 800 });
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

interface Row {
  readonly id: string;
  readonly action: string;
  readonly actor: string;
  readonly apiToken: boolean;
  readonly environment: string;
  readonly details: string;
  readonly outcome: string;
}

/** The audit table as shown, top to bottom. */
async function rows(): Promise<Row[]> {
  return page.getByTestId('audit-row').evaluateAll(elements => elements.map((element: any) => {
    const cells = [...element.querySelectorAll('td')].map((cell: any) => cell.textContent.trim());
    return {
      id: element.getAttribute('data-id'),
      action: element.getAttribute('data-action'),
      actor: element.querySelector('[data-testid="audit-actor"]').firstChild.textContent.trim(),
      apiToken: element.querySelector('[data-testid="audit-api-token"]') !== null,
      environment: cells[3],
      details: cells[5],
      outcome: element.getAttribute('data-outcome'),
    };
  }));
}

/** Waits until the page shows `count` rows (the page read again until then: recording follows the answer). */
async function showsRows(count: number): Promise<Row[]> {
  return eventually(`${count} audit rows`, async () => {
    await page.getByTestId('audit-refresh').click();
    await page.getByTestId('loading').waitFor({ state: 'detached' });
    const shown = await rows();
    return shown.length === count ? shown : undefined;
  }, 15_000, 200);
}

test('the audit page shows what an admin and an API token did, filters it, and exports it', async () => {
  // An API token made through the API deploys dev; its deployment then counts as deployed there.
  const adminToken = await localToken(server.url, ADMIN);
  const created = await callWithToken(server.url, adminToken, 'POST', '/api/tokens', { name: 'ci', role: 'deployer', application: 'web' });
  expect(created.status).toBe(201);
  const tokenDeploy = await callWithToken(server.url, created.body.token, 'POST', '/api/apps/web/environments/dev/deploy', {});
  expect(tokenDeploy.status).toBe(202);
  const deployed = tokenDeploy.body.id as string;
  // What the launcher and the builder would do (the queue here launches nothing).
  await store.deployments.claimEnvironment('web', 'dev', deployed);
  await store.deployments.transition(deployed, 'running');
  await store.deployments.transition(deployed, 'succeeded', { reason: 'deployed' });
  await store.deployments.releaseEnvironment('web', 'dev', deployed, { deploymentId: deployed, commit: COMMIT });

  // In the browser: promote dev to prod, deploy dev and cancel that, change dev's settings.
  await signInAs(page, server.url, ADMIN);
  await page.goto(`${server.url}/#/apps/web`);
  await page.getByTestId('promote-dev').click();
  await page.getByTestId('notice').waitFor();
  await page.getByTestId('deploy-dev').click();
  await page.getByTestId('notice').filter({ hasText: 'Deploy of' }).waitFor();
  await page.getByTestId('notice-link').click();
  await page.getByTestId('cancel').click();
  await page.getByTestId('cancel').waitFor({ state: 'detached' });
  const cancelled = decodeURIComponent(new URL(page.url()).hash.replace('#/deployments/', ''));
  await page.goto(`${server.url}/#/apps/web`);
  await page.getByTestId('settings-dev').click();
  await page.getByTestId('settings-dialog').waitFor();
  await page.getByTestId('settings-add-var').click();
  await page.getByTestId('settings-var-key-0').fill('FEATURE_FLAG');
  await page.getByTestId('settings-var-value-0').fill('on');
  await page.getByTestId('settings-add-secret').click();
  await page.getByTestId('settings-new-secret-name').fill('STRIPE_KEY');
  await page.getByTestId('settings-new-secret-value').fill(SECRET_VALUE);
  await page.getByTestId('settings-save').click();
  await page.getByTestId('settings-dialog').waitFor({ state: 'detached' });

  // The audit page, from the application's page: newest first, each with its principal.
  await page.getByTestId('audit-link').click();
  await page.waitForURL(`${server.url}/#/apps/web/audit`);
  const all = await showsRows(6);
  expect(all.map(row => [row.action, row.actor, row.apiToken, row.outcome])).toEqual([
    ['settings', 'ada', false, 'done'],
    ['cancel', 'ada', false, 'done'],
    ['deploy', 'ada', false, 'done'],
    ['promote', 'ada', false, 'done'],
    ['deploy', 'token ci', true, 'done'],
    ['create-token', 'ada', false, 'done'],
  ]);
  // Names of what changed, never a value.
  expect(all[0].details).toContain('variables.FEATURE_FLAG');
  expect(all[0].details).toContain('secrets.STRIPE_KEY');
  expect(all[0].environment).toBe('dev');
  // The cancel links the deployment it cancelled; the token's deploy the one it queued.
  const cancelRow = page.getByTestId('audit-row').nth(1);
  expect(await cancelRow.getByTestId('audit-deployment').getAttribute('href')).toBe(`#/deployments/${cancelled}`);
  expect(await page.getByTestId('audit-row').nth(4).getByTestId('audit-deployment').getAttribute('href')).toBe(`#/deployments/${deployed}`);
  expect(await page.content()).not.toContain(SECRET_VALUE);
  await page.screenshot({ path: join(SCREENSHOTS, 'audit-trail.png') });

  // Filters: by action (in the address too), by environment, by who.
  await page.getByTestId('audit-filter-action').selectOption('deploy');
  await page.waitForURL(`${server.url}/#/apps/web/audit?action=deploy`);
  expect((await showsRows(2)).map(row => row.actor)).toEqual(['ada', 'token ci']);
  await page.getByTestId('audit-filter-action').selectOption('');
  await page.getByTestId('audit-filter-environment').selectOption('dev');
  await page.waitForURL(`${server.url}/#/apps/web/audit?environment=dev`);
  const dev = await eventually('only dev\'s entries', async () => {
    const shown = await rows();
    return shown.length > 0 && shown.every(row => row.environment === 'dev') ? shown : undefined;
  }, 10_000, 100);
  expect(dev.map(row => row.action)).toEqual(expect.arrayContaining(['settings', 'cancel', 'deploy']));
  expect(dev.map(row => row.action)).not.toContain('create-token');
  await page.getByTestId('audit-filter-environment').selectOption('');
  await page.getByTestId('audit-filter-actor').fill('token ci');
  await page.getByTestId('audit-filter-apply').click();
  await page.waitForURL(`${server.url}/#/apps/web/audit?actor=token+ci`);
  expect((await showsRows(1)).map(row => [row.action, row.actor])).toEqual([['deploy', 'token ci']]);

  // The export: every entry as JSON lines, the same ones the page shows, without the secret.
  await page.goto(`${server.url}/#/apps/web/audit`);
  await showsRows(6);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('audit-export').click()]);
  expect(download.suggestedFilename()).toMatch(/^audit-web-\d{4}-\d{2}-\d{2}\.jsonl$/);
  const text = readFileSync((await download.path())!, 'utf8');
  expect(text).not.toContain(SECRET_VALUE);
  const exported = text.split('\n').filter(line => line !== '').map(line => JSON.parse(line) as AuditEntryView);
  expect(exported.map(entry => entry.id)).toEqual(all.map(row => row.id));
  expect(exported.find(entry => entry.apiToken !== undefined)).toMatchObject({ action: 'deploy', actor: 'token ci', application: 'web', environment: 'dev' });
  await signOutOf(page);
}, 180_000);

test('a viewer sees no audit link, and the API refuses them the trail', async () => {
  await signInAs(page, server.url, VIEWER);
  await page.goto(`${server.url}/#/apps/web`);
  await page.getByTestId('pipeline').waitFor();
  expect(await page.getByTestId('audit-link').count()).toBe(0);
  await page.goto(`${server.url}/#/apps/web/audit`);
  await page.getByTestId('audit-error').waitFor();
  expect(await page.getByTestId('audit-error').textContent()).toContain('403');
  const refused = await callWithToken(server.url, await localToken(server.url, VIEWER), 'GET', '/api/apps/web/audit');
  expect(refused.status).toBe(403);
  expect(refused.body.reason).toContain('admin');
  await signOutOf(page);
}, 60_000);

test('a long trail comes a page at a time: Load more reads on from the cursor', async () => {
  // 50 older entries under the 6 of the first test: a full first page, then the rest.
  const start = Date.parse('2026-01-01T00:00:00.000Z');
  for (let i = 0; i < 50; i++) {
    const at = new Date(start + i * 60_000).toISOString();
    await store.audit.record({
      id: `old-${String(i).padStart(2, '0')}`, at, actor: 'ada', subject: 'local:ada', action: 'deploy', application: 'web', environment: 'dev', result: { status: 202 },
    }, Math.floor(Date.now() / 1000) + 3600);
  }
  await signInAs(page, server.url, ADMIN);
  await page.goto(`${server.url}/#/apps/web/audit`);
  await page.getByTestId('load-more').waitFor();
  expect(await page.getByTestId('audit-row').count()).toBe(50);
  await page.getByTestId('load-more').click();
  await eventually('the second page appended', async () => await page.getByTestId('audit-row').count() === 56, 10_000, 100);
  const ids = await page.getByTestId('audit-row').evaluateAll(elements => elements.map((element: any) => element.getAttribute('data-id')));
  // Newest first throughout: the oldest seeded entry is the last row, and none twice.
  expect(ids[55]).toBe('old-00');
  expect(new Set(ids).size).toBe(56);
  expect(await page.getByTestId('load-more').count()).toBe(0);
  await signOutOf(page);
}, 60_000);

test("the installation's own trail: its admins reach it from the top bar and see the all-applications token they made", async () => {
  const adminToken = await localToken(server.url, ADMIN);
  const created = await callWithToken(server.url, adminToken, 'POST', '/api/tokens', { name: 'everywhere', role: 'viewer', application: '*' });
  expect(created.status).toBe(201);
  await signInAs(page, server.url, ADMIN);
  await page.goto(`${server.url}/#/`);
  await page.getByTestId('installation-audit-link').click();
  await page.waitForURL(`${server.url}/#/audit`);
  expect(await page.locator('h1').textContent()).toBe('Installation audit trail');
  const shown = await showsRows(1);
  expect(shown.map(row => [row.action, row.actor])).toEqual([['create-token', 'ada']]);
  await signOutOf(page);

  await signInAs(page, server.url, VIEWER);
  await page.goto(`${server.url}/#/`);
  await page.getByTestId('user-name').waitFor();
  expect(await page.getByTestId('installation-audit-link').count()).toBe(0);
  await signOutOf(page);
}, 60_000);
