import { mkdirSync, rmSync } from 'fs';
import * as path from 'path';
import { Page } from 'playwright-core';
import { TestBrowser, launchBrowser } from './support/browser';
import { ROOT, buildDashboard } from './support/build-dashboard';
import { FakeControlPlane, startFakeControlPlane } from './support/fake-control-plane';
import { eventually } from '../support/eventually';

// The callbacks given to page.evaluate / waitForFunction run in the page, where these exist.
declare const document: any;
declare const requestAnimationFrame: (callback: (time: number) => void) => number;

/**
 * The dashboard in headless Chromium against a fake control plane on the same contract
 * (core/api-types, core/live-messages), for what needs control the real server does not
 * give: cut sockets, a 100k-line log in a second, two roles, every dialog. The flows a
 * person goes through, the live log under load, the layouts at laptop and phone width.
 * The same flow on local mode's real server: local-mode.test.ts.
 */

const SCREENSHOTS = path.join(ROOT, 'test-reports/screenshots');

let assets: string;
let fake: FakeControlPlane;
let browser: TestBrowser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  assets = buildDashboard();
  mkdirSync(SCREENSHOTS, { recursive: true });
  fake = await startFakeControlPlane({ staticDir: assets, linesPerBuild: 60, lineMs: 25 });
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on('pageerror', error => pageErrors.push(error.message));
}, 60_000);

afterEach(() => {
  // An uncaught error in the page fails the test it happened in.
  expect(pageErrors.splice(0)).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await fake?.close();
  if (assets) rmSync(assets, { recursive: true, force: true });
});

const byTestId = (id: string) => page.getByTestId(id);

async function signIn(user = 'ada', password = 'ada-secret') {
  await page.goto(`${fake.url}/#/`);
  await byTestId('sign-in-user').fill(user);
  await byTestId('sign-in-password').fill(password);
  await byTestId('sign-in-submit').click();
  await byTestId('user-name').waitFor();
}

async function statusOf(env: string): Promise<string | null> {
  return byTestId(`status-${env}`).getAttribute('data-status');
}

async function waitForStatus(env: string, status: string, timeout = 20_000) {
  await page.waitForFunction(
    ([name, wanted]) => document.querySelector(`[data-testid="status-${name}"]`)?.getAttribute('data-status') === wanted,
    [env, status],
    { timeout },
  );
}

/** Clicks `button`, then waits until `env` shows a new last deployment and that it succeeded. */
async function actAndWait(button: string, env: string) {
  const last = byTestId(`last-${env}`);
  const before = await last.count() > 0 ? await last.getAttribute('href') : null;
  await byTestId(button).click();
  await page.waitForFunction(
    ([name, previous]) => {
      const link = document.querySelector(`[data-testid="last-${name}"]`);
      return link !== null && link.getAttribute('href') !== previous;
    },
    [env, before],
    { timeout: 10_000 },
  );
  await waitForStatus(env, 'succeeded');
}

async function commitOf(env: string): Promise<string> {
  return (await byTestId(`commit-${env}`).textContent()) ?? '';
}

/** Seqs of the log rows in the DOM, in order. */
async function renderedSeqs(): Promise<number[]> {
  return page.$$eval('[data-testid="log-row"]', rows => rows.map(row => Number(row.getAttribute('data-seq'))));
}

describe('sign-in', () => {
  test('a wrong password shows the server\'s reason', async () => {
    await page.goto(`${fake.url}/`);
    await byTestId('sign-in-user').fill('ada');
    await byTestId('sign-in-password').fill('wrong');
    await byTestId('sign-in-submit').click();
    await expectText('sign-in-error-reason', 'unknown user or wrong password');
  });

  test('signing in lists the applications', async () => {
    await signIn();
    await byTestId('app-shop').waitFor();
    expect(await byTestId('app-blog').isVisible()).toBe(true);
  });
});

describe('the acceptance flow', () => {
  let firstCommit: string;

  test('an app shows its three environments in promotion order', async () => {
    await byTestId('app-shop').click();
    await byTestId('env-production').waitFor();
    const names = await page.$$eval('[data-testid^="env-"]', cards => cards.map(card => card.getAttribute('data-testid')));
    expect(names).toEqual(['env-dev', 'env-staging', 'env-production']);
    // Deploy only where a branch is tracked; promote only to the next environment.
    expect(await byTestId('deploy-dev').isVisible()).toBe(true);
    expect(await byTestId('deploy-staging').count()).toBe(0);
    expect(await byTestId('promote-dev').textContent()).toBe('Promote to staging');
    expect(await byTestId('promote-staging').textContent()).toBe('Promote to production');
    expect(await byTestId('promote-production').count()).toBe(0);
    expect(await statusOf('dev')).toBe('none');
  });

  test('deploy: the status changes and log lines arrive live', async () => {
    await byTestId('deploy-dev').click();
    await byTestId('notice').waitFor();
    await page.waitForFunction(() => ['queued', 'running'].includes(document.querySelector('[data-testid="status-dev"]')?.getAttribute('data-status') ?? ''));
    await byTestId('last-dev').click();
    await byTestId('deployment-status').waitFor();
    // Lines arrive while it runs.
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="log-count"]')?.getAttribute('data-count')) > 5);
    const whileRunning = await byTestId('deployment-status').getAttribute('data-status');
    expect(['queued', 'running']).toContain(whileRunning);
    await page.waitForFunction(() => document.querySelector('[data-testid="deployment-status"]')?.getAttribute('data-status') === 'succeeded', undefined, { timeout: 20_000 });
    const id = decodeURIComponent(page.url().split('/deployments/')[1]);
    const expected = fake.logOf(id).length;
    await page.waitForFunction(count => Number(document.querySelector('[data-testid="log-count"]')?.getAttribute('data-count')) === count, expected);
    // Phases from the builder's markers, with outcomes.
    expect(await byTestId('phase-deploy').getAttribute('data-outcome')).toBe('succeeded');
    expect(await byTestId('phase-install').isVisible()).toBe(true);
    // stderr lines are marked.
    expect(await page.locator('.log-row.stderr').count()).toBeGreaterThan(0);
    expect(await byTestId('log-state').getAttribute('data-state')).toBe('live');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'deployment.png'), fullPage: true });
    firstCommit = fake.deployment(id)!.commit.slice(0, 7);
  });

  test('promote dev → staging', async () => {
    await page.goBack();
    await byTestId('env-staging').waitFor();
    await waitForStatus('dev', 'succeeded');
    expect(await commitOf('dev')).toBe(firstCommit);
    await actAndWait('promote-dev', 'staging');
    expect(await commitOf('staging')).toBe(firstCommit);
  });

  test('roll back staging to the earlier version', async () => {
    // A second version through dev to staging.
    const second = fake.push('main', 'Faster checkout').slice(0, 7);
    await actAndWait('deploy-dev', 'dev');
    await actAndWait('promote-dev', 'staging');
    expect(await commitOf('staging')).toBe(second);

    await byTestId('rollback-staging').click();
    await byTestId('rollback-dialog').waitFor();
    await byTestId('rollback-candidate').first().waitFor();
    const candidates = await page.$$eval('[data-testid="rollback-candidate"]', items => items.map(item => item.getAttribute('data-commit')!.slice(0, 7)));
    // The running version is not offered.
    expect(candidates).toEqual([firstCommit]);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'rollback.png') });
    const before = await byTestId('last-staging').getAttribute('href');
    await page.locator('[data-testid="rollback-candidate"] button').first().click();
    await byTestId('rollback-dialog').waitFor({ state: 'detached' });
    await page.waitForFunction(previous => document.querySelector('[data-testid="last-staging"]')?.getAttribute('href') !== previous, before);
    await waitForStatus('staging', 'succeeded');
    expect(await commitOf('staging')).toBe(firstCommit);
    expect(await byTestId('last-staging').textContent()).toContain('rollback');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'app.png'), fullPage: true });
  });

  test('history and the deployment page say whether a rollback or promotion deployed its artifact or rebuilt', async () => {
    await byTestId('history-staging').click();
    await byTestId('history-row').first().waitFor();
    const rows = await page.$$eval('[data-testid="history-row"]', items => items.map(item => {
      const label = item.querySelector('[data-testid="deploy-source"]');
      return [item.querySelector('[data-label="Action"] a')!.textContent, label?.textContent ?? null, label?.getAttribute('title') ?? null];
    }));
    expect(rows).toEqual([
      ['rollback', 'from artifact', expect.stringMatching(/^from artifact \S+ \(cdk, /)],
      ['promote', 'rebuild', 'rebuild: target differs: built for stage dev in dev, this deploys stage staging in staging'],
      ['promote', 'rebuild', expect.stringMatching(/^rebuild: target differs/)],
    ]);
    await page.locator('[data-testid="history-row"] [data-label="Action"] a').first().click();
    await byTestId('deployment-status').waitFor();
    expect(await byTestId('deploy-source').textContent()).toBe('from artifact');
    await page.goBack();
    await page.goBack();
  });

  test('tear down staging after typing its name', async () => {
    await byTestId('teardown-staging').click();
    await byTestId('teardown-dialog').waitFor();
    expect(await byTestId('teardown-confirm').isDisabled()).toBe(true);
    await byTestId('teardown-confirm-input').fill('stagin');
    expect(await byTestId('teardown-confirm').isDisabled()).toBe(true);
    await byTestId('teardown-confirm-input').fill('staging');
    const before = await byTestId('last-staging').getAttribute('href');
    await byTestId('teardown-confirm').click();
    await byTestId('teardown-dialog').waitFor({ state: 'detached' });
    await page.waitForFunction(previous => document.querySelector('[data-testid="last-staging"]')?.getAttribute('href') !== previous, before);
    await waitForStatus('staging', 'succeeded');
    expect(await byTestId('last-staging').textContent()).toContain('teardown');
    await page.waitForFunction(() => document.querySelector('[data-testid="current-staging"]')?.textContent === 'nothing deployed');
  });

  test('history lists each deployment with trigger, actor and durations, a page at a time', async () => {
    for (let index = 0; index < 3; index++) await actAndWait('deploy-dev', 'dev');
    // dev now has 5 deployments; pages of 20 would hide "load more", so check the contract at the page size.
    await byTestId('history-dev').click();
    await byTestId('history-row').first().waitFor();
    expect(await byTestId('history-row').count()).toBe(5);
    const first = await byTestId('history-row').first().textContent();
    expect(first).toContain('manual by ada');
    expect(await byTestId('load-more').count()).toBe(0);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'history.png'), fullPage: true });
  });
});

describe('the live log', () => {
  test('a 100k-line log opens fast, keeps few rows in the DOM, and reaches its last line', async () => {
    const deployment = fake.seedDeployment('shop', 'dev', 100_000);
    // A fresh page load, so the page's clock starts with the navigation.
    await page.goto(`${fake.url}/?load=${Date.now()}#/deployments/${deployment.id}`);
    await byTestId('log-row').first().waitFor();
    const firstLines = await page.evaluate(() => Math.round(performance.getEntriesByName('trellis:first-log-lines')[0].startTime));
    await page.waitForFunction(() => document.querySelector('[data-testid="log-count"]')?.getAttribute('data-count') === '100000', undefined, { timeout: 30_000 });
    // Followed to the end: the last line is on screen.
    let seqs = await renderedSeqs();
    expect(seqs.length).toBeLessThan(150);
    expect(seqs[seqs.length - 1]).toBe(99_999);
    await expectVisible('[data-seq="99999"]');

    // To the top and the middle: still few rows, the right ones.
    await scrollLogTo(0);
    seqs = await renderedSeqs();
    expect(seqs[0]).toBe(0);
    expect(seqs.length).toBeLessThan(150);
    await scrollLogTo(50_000 * 18);
    seqs = await renderedSeqs();
    expect(seqs).toContain(50_000);
    expect(seqs.length).toBeLessThan(150);

    // Smooth: scroll steps render within a frame or two (printed: timings are not asserted, CI machines vary).
    const frameTimes = await page.evaluate(async () => {
      const scroller = document.querySelector('[data-testid="log-scroller"]')!;
      const times: number[] = [];
      for (let step = 0; step < 60; step++) {
        const before = performance.now();
        scroller.scrollTop += 1500;
        await new Promise(requestAnimationFrame);
        await new Promise(requestAnimationFrame);
        times.push(performance.now() - before);
        if (document.querySelectorAll('[data-testid="log-row"]').length > 150) throw new Error('too many rows in the DOM');
      }
      return times.sort((a, b) => a - b);
    });
    const p90 = frameTimes[Math.floor(frameTimes.length * 0.9)];
    console.log(`100k-line log: first lines after ${firstLines} ms; scroll step p90 ${p90.toFixed(1)} ms`);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'log-100k.png') });
  });

  test('search highlights matches and steps through them', async () => {
    await byTestId('log-search').fill('line 4242 of');
    await page.waitForFunction(() => document.querySelector('[data-testid="log-matches"]')?.textContent === '– / 1');
    await byTestId('log-search').press('Enter');
    await expectText('log-matches', '1 / 1');
    await expectVisible('.log-row.current[data-seq="4241"]');
    expect(await page.locator('.log-row.current mark').textContent()).toBe('line 4242 of');

    await byTestId('log-search').fill('no such text');
    await expectText('log-matches', 'no match');
    await byTestId('log-search').fill('line 1000');
    // "line 1000 of", "line 10000 of" … "line 100000 of": 1 + 10 + 100 … matches: count them server-side.
    const expected = fake.logOf(await currentDeploymentId()).filter(record => record.text.toLowerCase().includes('line 1000')).length;
    await expectText('log-matches', `– / ${expected}`);
    await byTestId('log-next').click();
    await byTestId('log-next').click();
    await expectText('log-matches', `2 / ${expected}`);
    await byTestId('log-prev').click();
    await expectText('log-matches', `1 / ${expected}`);
    await expectVisible('.log-row.current');
    await byTestId('log-search').fill('');
  });

  test('follows new lines, stops when scrolled up, resumes at the bottom', async () => {
    const deployment = fake.seedDeployment('shop', 'dev', 2_000);
    await page.goto(`${fake.url}/#/deployments/${deployment.id}`);
    await page.waitForFunction(() => document.querySelector('[data-testid="log-count"]')?.getAttribute('data-count') === '2000');
    fake.appendLines(deployment.id, 50);
    await expectVisible('[data-seq="2049"]');

    // Scroll up with the wheel: new lines no longer move the view.
    await page.hover('[data-testid="log-scroller"]');
    await page.mouse.wheel(0, -3000);
    await byTestId('log-follow').waitFor();
    // The wheel may arrive as several scroll steps (seen on a loaded CI machine): wait for it to settle.
    const top = await settledScrollTop();
    fake.appendLines(deployment.id, 50);
    await page.waitForFunction(() => document.querySelector('[data-testid="log-count"]')?.getAttribute('data-count') === '2100');
    expect(await logScrollTop()).toBe(top);
    expect(await page.locator('[data-seq="2099"]').count()).toBe(0);

    // Back at the bottom (the button), it follows again.
    await byTestId('log-follow').click();
    await expectVisible('[data-seq="2099"]');
    fake.appendLines(deployment.id, 50);
    await expectVisible('[data-seq="2149"]');
    await byTestId('log-follow').waitFor({ state: 'detached' });
  });

  test('after a network loss it reconnects and continues from the next line, nothing lost or twice', async () => {
    const deployment = fake.seedDeployment('shop', 'dev', 500);
    await page.goto(`${fake.url}/#/deployments/${deployment.id}`);
    await page.waitForFunction(() => document.querySelector('[data-testid="log-state"]')?.getAttribute('data-state') === 'live');
    fake.setOffline(true);
    expect(fake.dropSockets()).toBeGreaterThan(0);
    await page.waitForFunction(() => document.querySelector('[data-testid="log-state"]')?.getAttribute('data-state') === 'reconnecting');
    fake.appendLines(deployment.id, 300); // written while the browser is cut off
    // A real delay, not a wait for a state: the browser stays cut off long enough to try (and fail) to reconnect.
    await new Promise(resolve => setTimeout(resolve, 700));
    fake.setOffline(false);
    await page.waitForFunction(() => document.querySelector('[data-testid="log-state"]')?.getAttribute('data-state') === 'live', undefined, { timeout: 20_000 });
    fake.appendLines(deployment.id, 200);
    await page.waitForFunction(() => document.querySelector('[data-testid="log-count"]')?.getAttribute('data-count') === '1000');
    const seqs = await renderedSeqs();
    expect(seqs[seqs.length - 1]).toBe(999);
    // Contiguous: every rendered row is the next seq.
    expect(seqs.every((seq, index) => index === 0 || seq === seqs[index - 1] + 1)).toBe(true);
  });
});

describe('permissions, settings and errors', () => {
  test('settings: secrets are write-only and show as set; changes are saved', async () => {
    await page.goto(`${fake.url}/#/apps/shop`);
    await byTestId('settings-dev').click();
    await byTestId('settings-dialog').waitFor();
    expect(await byTestId('settings-secret-set-API_KEY').textContent()).toBe('set');
    expect(await byTestId('settings-secret-value-API_KEY').inputValue()).toBe('');
    await byTestId('settings-add-var').click();
    await byTestId('settings-var-key-1').fill('FEATURE_FLAG');
    await byTestId('settings-var-value-1').fill('on');
    await byTestId('settings-add-secret').click();
    await byTestId('settings-new-secret-name').fill('STRIPE_KEY');
    await byTestId('settings-new-secret-value').fill('sk_test_123');
    await byTestId('settings-test-command').fill('npm run "test ci"');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'settings.png') });
    await byTestId('settings-save').click();
    await byTestId('settings-dialog').waitFor({ state: 'detached' });
    await byTestId('settings-dev').click();
    await byTestId('settings-secret-set-STRIPE_KEY').waitFor();
    expect(await byTestId('settings-var-value-1').inputValue()).toBe('on');
    expect(await byTestId('settings-test-command').inputValue()).toBe('npm run "test ci"');
    await byTestId('dialog-close').click();
  });

  test('the application page lists notifications that were not delivered, and nothing while there are none', async () => {
    await page.goto(`${fake.url}/#/apps/shop`);
    await byTestId('env-dev').waitFor();
    expect(await byTestId('notification-failures').count()).toBe(0);
    const at = new Date(Date.now() - 120_000).toISOString();
    fake.setNotificationFailures('shop', [{
      id: 'delivery-1',
      at,
      application: 'shop',
      environment: 'production',
      event: 'deployment.failed',
      sequence: 7,
      kind: 'webhook',
      destination: 'webhook 1 (https://hooks.example.com)',
      position: 1,
      attempts: 3,
      error: 'HTTP 500',
    }]);
    await page.goto(`${fake.url}/?load=${Date.now()}#/apps/shop`);
    await byTestId('notification-failure-7-production').waitFor();
    const row = await byTestId('notification-failure-7-production').textContent();
    for (const text of ['production', 'deployment.failed', 'https://hooks.example.com', 'HTTP 500', '3']) expect(row).toContain(text);
    expect(await byTestId('notification-failures').locator('h2').textContent()).toBe('Notifications: last failed deliveries');
    fake.setNotificationFailures('shop', []);
  });

  test('an unknown application shows the API\'s reason', async () => {
    await page.goto(`${fake.url}/#/apps/nope`);
    await expectText('error-reason', 'application nope does not exist');
  });

  test('a viewer sees no action buttons', async () => {
    await byTestId('sign-out').click();
    await byTestId('sign-in').waitFor();
    await signIn('vic', 'vic-secret');
    await page.goto(`${fake.url}/#/apps/shop`);
    await byTestId('env-dev').waitFor();
    expect(await page.locator('.env-card .actions button').count()).toBe(0);
  });

  test('at phone width the pipeline stacks', async () => {
    const phone = await browser.context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${fake.url}/#/apps/shop`);
    // sessionStorage is per tab: sign in again.
    await phone.getByTestId('sign-in-user').fill('ada');
    await phone.getByTestId('sign-in-password').fill('ada-secret');
    await phone.getByTestId('sign-in-submit').click();
    await phone.getByTestId('env-production').waitFor();
    const boxes = await Promise.all(['dev', 'staging', 'production'].map(env => phone.getByTestId(`env-${env}`).boundingBox()));
    expect(boxes.every(box => box!.x === boxes[0]!.x)).toBe(true);
    expect(boxes[1]!.y).toBeGreaterThan(boxes[0]!.y + boxes[0]!.height);
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    await phone.screenshot({ path: path.join(SCREENSHOTS, 'app-phone.png'), fullPage: true });
    await phone.getByTestId('last-dev').click();
    await phone.getByTestId('log-row').first().waitFor();
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await phone.screenshot({ path: path.join(SCREENSHOTS, 'deployment-phone.png'), fullPage: true });
    await phone.goto(`${fake.url}/#/apps/shop/environments/dev`);
    await phone.getByTestId('history-row').first().waitFor();
    await phone.screenshot({ path: path.join(SCREENSHOTS, 'history-phone.png'), fullPage: true });
    await phone.close();
  });
});

async function expectText(testId: string, text: string) {
  await page.waitForFunction(([id, wanted]) => document.querySelector(`[data-testid="${id}"]`)?.textContent === wanted, [testId, text], { timeout: 10_000 })
    .catch(async () => {
      throw new Error(`${testId} shows "${await byTestId(testId).first().textContent().catch(() => '(absent)')}", not "${text}"`);
    });
}

/** Waits until the element is inside the log viewport. */
async function expectVisible(selector: string) {
  await page.waitForFunction(sel => {
    const element = document.querySelector(sel);
    const scroller = document.querySelector('[data-testid="log-scroller"]');
    if (!element || !scroller) return false;
    const box = element.getBoundingClientRect();
    const view = scroller.getBoundingClientRect();
    return box.top >= view.top - 1 && box.bottom <= view.bottom + 1;
  }, selector, { timeout: 10_000 });
}

async function scrollLogTo(top: number) {
  await page.$eval('[data-testid="log-scroller"]', (element, value) => {
    element.scrollTop = value;
  }, top);
  await page.evaluate(() => new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve))));
}

async function logScrollTop(): Promise<number> {
  return page.$eval('[data-testid="log-scroller"]', element => element.scrollTop);
}

/** The log's scrollTop once it reads the same three times 100 ms apart. */
async function settledScrollTop(): Promise<number> {
  const reads: number[] = [];
  const settled = await eventually(() => `the log's scroll position to settle (read ${reads.join(', ')})`, async () => {
    reads.push(await logScrollTop());
    return reads.length >= 3 && new Set(reads.slice(-3)).size === 1 && { top: reads[reads.length - 1] };
  }, 10_000, 100);
  return settled.top;
}

async function currentDeploymentId(): Promise<string> {
  return decodeURIComponent(page.url().split('/deployments/')[1]);
}
