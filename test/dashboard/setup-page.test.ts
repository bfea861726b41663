import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'fs';
import * as path from 'path';
import { Page } from 'playwright-core';
import { TestBrowser, launchBrowser } from './support/browser';
import { ROOT, buildDashboard } from './support/build-dashboard';
import { secretNames } from '../../src/contract/secret-names';
import { SETUP_ADMIN, SETUP_INSTALLATION, SetupServer, startSetupServer } from '../api/setup-server';

/**
 * The setup page in Chromium on local mode's server, with the GitHub stand-in as GitHub: an admin
 * creates the App by the page's form (posted to the stand-in under the dashboard's CSP), confirms
 * on GitHub's page, comes back with the App connected and its credentials in the secrets file,
 * installs it on a repository, and redelivers a push Trellis missed. The screenshots of the page
 * before and after are what the README shows (docs/images, rewritten with TRELLIS_DOCS_IMAGES=1).
 */
const NO_COMMIT = '0'.repeat(40);
const SCREENSHOTS = path.join(ROOT, 'test-reports/screenshots');
const DOCS_IMAGES = path.join(ROOT, 'docs/images');

let assets: string;
let setup: SetupServer;
let browser: TestBrowser;
let page: Page;
const violations: string[] = [];

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  assets = buildDashboard();
  setup = await startSetupServer(assets);
  browser = await launchBrowser({ width: 1100, height: 760 });
  page = await browser.context.newPage();
  // The server sends the dashboard's CSP: a form action it blocks is reported on the console.
  page.on('console', message => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  page.on('pageerror', error => violations.push(error.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await setup?.close();
  if (assets) rmSync(assets, { recursive: true, force: true });
});

/** Into test-reports, and into docs/images when asked (the README's pictures change only on purpose). */
async function screenshot(name: string): Promise<void> {
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (process.env.TRELLIS_DOCS_IMAGES === '1') {
    mkdirSync(DOCS_IMAGES, { recursive: true });
    copyFileSync(file, path.join(DOCS_IMAGES, `${name}.png`));
  }
}

test('an admin creates the GitHub App from the setup page, installs it and redelivers a missed push', async () => {
  const { standIn, server, queue, commit, secretsFile } = setup;
  await page.goto(`${server.url}/#/setup`);
  await page.getByTestId('sign-in-user').fill(SETUP_ADMIN.user);
  await page.getByTestId('sign-in-password').fill(SETUP_ADMIN.password);
  await page.getByTestId('sign-in-submit').click();
  await page.getByTestId('setup-create').waitFor();
  expect(await page.getByTestId('setup-link').getAttribute('href')).toBe('#/setup');
  await screenshot('github-setup-create');

  // The page posts the manifest form to GitHub (here the stand-in): a top-level navigation the CSP allows.
  await page.getByTestId('create-app').click();
  await page.waitForURL(url => url.toString().startsWith(`${standIn.url}/settings/apps/new?state=`));
  expect(await page.locator('pre').textContent()).toContain(`${server.url}/github/app-created`);
  await page.getByRole('button', { name: 'Create GitHub App' }).click();

  // GitHub → the API's callback → back on the setup page, the App connected.
  await page.waitForURL(`${server.url}/#/setup?created=1`);
  await page.getByTestId('setup-created').waitFor();
  await page.getByTestId('setup-connected').waitFor();
  expect(await page.getByTestId('setup-app-link').textContent()).toBe('trellis-local');
  expect(await page.getByTestId('setup-no-repositories').isVisible()).toBe(true);
  const stored = JSON.parse(JSON.parse(readFileSync(secretsFile, 'utf8'))[secretNames.githubApp(SETUP_INSTALLATION)]);
  expect(stored).toMatchObject({ slug: 'trellis-local', privateKey: expect.stringContaining('PRIVATE KEY') });
  expect(await page.content()).not.toContain('PRIVATE KEY');

  // Installing: GitHub's page, then GitHub's redirect to the setup URL.
  const installUrl = (await page.getByTestId('setup-install').getAttribute('href'))!;
  expect(installUrl).toBe(`${standIn.url}/apps/trellis-local/installations/new`);
  await page.goto(installUrl);
  await page.getByLabel('acme/web').check();
  await page.getByRole('button', { name: 'Install' }).click();
  await page.waitForURL(url => url.toString().startsWith(server.url) && url.hash === '#/setup');
  await page.getByTestId('setup-repositories').getByText('acme/web').waitFor();

  // A push GitHub could not hand over (the launch queue was down) is listed, and on the applications page too.
  queue.failNext = 'the launch queue is down';
  expect(await standIn.deliverPush('acme/web', { ref: 'refs/heads/main', before: NO_COMMIT, after: commit })).toBe(500);
  const [missed] = standIn.deliveries();
  await page.getByTestId('deliveries-reload').click();
  await page.getByTestId(`redeliver-${missed.guid}`).waitFor();
  await screenshot('github-setup-connected');

  await page.getByTestId('home').click();
  await page.getByTestId('missed-deliveries').waitFor();
  expect(await page.getByTestId('missed-deliveries').textContent()).toContain('1 webhook');
  await page.getByTestId('missed-deliveries-link').click();

  await page.getByTestId(`redeliver-${missed.guid}`).click();
  await page.getByTestId(`redelivered-${missed.guid}`).waitFor();
  const attempts = standIn.deliveries().map(delivery => [delivery.guid, delivery.redelivery, delivery.statusCode]);
  expect(attempts).toEqual([[missed.guid, false, 500], [missed.guid, true, 202]]);
  expect(queue.sent).toHaveLength(1);
  await page.getByTestId('deliveries-reload').click();
  await page.getByTestId('deliveries-none').waitFor();
  expect(violations).toEqual([]);
}, 120_000);
