import { mkdirSync, rmSync } from 'fs';
import * as path from 'path';
import { Page } from 'playwright-core';
import { TestBrowser, launchBrowser } from './support/browser';
import { ROOT, buildDashboard } from './support/build-dashboard';
import { LocalControlPlane, startLocalControlPlane } from './support/local-control-plane';

// The callbacks given to page.waitForFunction run in the page, where this exists.
declare const document: any;

/**
 * The acceptance flow of the dashboard on local mode's real server: control API handlers,
 * DynamoDB Local, the local executor running the builder on a git repository, live logs
 * over the WebSocket. Sign in, deploy, watch it, promote, roll back, tear down.
 */

const SCREENSHOTS = path.join(ROOT, 'test-reports/screenshots');

let assets: string;
let local: LocalControlPlane;
let browser: TestBrowser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  assets = buildDashboard();
  mkdirSync(SCREENSHOTS, { recursive: true });
  local = await startLocalControlPlane(assets, { lines: 150, lineMs: 10 });
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on('pageerror', error => pageErrors.push(error.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await local?.close();
  if (assets) rmSync(assets, { recursive: true, force: true });
});

afterEach(() => {
  expect(pageErrors.splice(0)).toEqual([]);
});

const byTestId = (id: string) => page.getByTestId(id);
const short = (sha: string) => sha.slice(0, 7);

async function waitForStatus(env: string, status: string, timeout = 60_000) {
  await page.waitForFunction(
    ([name, wanted]) => document.querySelector(`[data-testid="status-${name}"]`)?.getAttribute('data-status') === wanted,
    [env, status],
    { timeout },
  );
}

/** Clicks `button` (or runs `act`), then waits for a new last deployment of `env` and for it to succeed. */
async function actAndWait(env: string, act: () => Promise<void>) {
  const last = byTestId(`last-${env}`);
  const before = await last.count() > 0 ? await last.getAttribute('href') : null;
  await act();
  await page.waitForFunction(
    ([name, previous]) => {
      const link = document.querySelector(`[data-testid="last-${name}"]`);
      return link !== null && link.getAttribute('href') !== previous;
    },
    [env, before],
    { timeout: 15_000 },
  );
  await waitForStatus(env, 'succeeded');
}

async function commitOf(env: string): Promise<string> {
  return (await byTestId(`commit-${env}`).textContent()) ?? '';
}

describe('local mode, end to end in the browser', () => {
  test('sign in and open the app: three environments in promotion order', async () => {
    await page.goto(`${local.url}/`);
    await byTestId('sign-in-user').fill(local.users.admin.name);
    await byTestId('sign-in-password').fill(local.users.admin.password);
    await byTestId('sign-in-submit').click();
    await byTestId('app-shop').click();
    await byTestId('env-production').waitFor();
    const names = await page.$$eval('[data-testid^="env-"]', cards => cards.map(card => card.getAttribute('data-testid')));
    expect(names).toEqual(['env-dev', 'env-staging', 'env-production']);
  });

  test('deploy dev: the status changes and log lines arrive live', async () => {
    await byTestId('deploy-dev').click();
    await byTestId('notice-link').click();
    await byTestId('deployment-status').waitFor();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="log-count"]')?.getAttribute('data-count')) > 0, undefined, { timeout: 30_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid="deployment-status"]')?.getAttribute('data-status') === 'succeeded', undefined, { timeout: 60_000 });
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="log-count"]')?.getAttribute('data-count')) > 150);
    expect(await page.locator('.log-row.stderr').count()).toBeGreaterThan(0);
    expect(await byTestId('phase-deploy').getAttribute('data-outcome')).toBe('succeeded');
    expect(await byTestId('deployment-commit').textContent()).toBe(short(local.commits[0]));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'local-deployment.png'), fullPage: true });
    await page.goBack();
    await waitForStatus('dev', 'succeeded');
    expect(await commitOf('dev')).toBe(short(local.commits[0]));
  });

  test('promote dev → staging', async () => {
    await actAndWait('staging', () => byTestId('promote-dev').click());
    expect(await commitOf('staging')).toBe(short(local.commits[0]));
  });

  test('roll staging back to the earlier version', async () => {
    const second = local.commit('Faster checkout');
    await actAndWait('dev', () => byTestId('deploy-dev').click());
    expect(await commitOf('dev')).toBe(short(second));
    await actAndWait('staging', () => byTestId('promote-dev').click());
    expect(await commitOf('staging')).toBe(short(second));

    await byTestId('rollback-staging').click();
    await byTestId('rollback-candidate').first().waitFor();
    const offered = await page.$$eval('[data-testid="rollback-candidate"]', items => items.map(item => item.getAttribute('data-commit')));
    expect(offered).toEqual([local.commits[0]]);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'local-rollback.png') });
    await actAndWait('staging', () => page.locator('[data-testid="rollback-candidate"] button').click());
    expect(await commitOf('staging')).toBe(short(local.commits[0]));
    expect(await byTestId('last-staging').textContent()).toContain('rollback');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'local-app.png'), fullPage: true });
  });

  test('tear down staging after typing its name', async () => {
    await byTestId('teardown-staging').click();
    await byTestId('teardown-confirm-input').fill('staging');
    await actAndWait('staging', () => byTestId('teardown-confirm').click());
    expect(await byTestId('last-staging').textContent()).toContain('teardown');
    await page.waitForFunction(() => document.querySelector('[data-testid="current-staging"]')?.textContent === 'nothing deployed', undefined, { timeout: 10_000 });
  });

  test('staging\'s history: each action with its trigger, newest first', async () => {
    await byTestId('history-staging').click();
    await byTestId('history-row').first().waitFor();
    const rows = await byTestId('history-row').allTextContents();
    expect(rows.map(row => /(deploy|promote|rollback|teardown)/.exec(row)?.[1])).toEqual(['teardown', 'rollback', 'promote', 'promote']);
    expect(rows[1]).toContain('rollback by ada');
    expect(rows[2]).toContain('promotion by ada');
  });
});
