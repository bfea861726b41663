import { rmSync } from 'fs';
import { Page } from 'playwright-core';
import { TestBrowser, launchBrowser } from './support/browser';
import { buildDashboard } from './support/build-dashboard';
import { secretNames } from '../../src/contract/secret-names';
import { FileSecretSource } from '../../src/local/file-secret-source';
import { SETUP_ADMIN, SETUP_INSTALLATION, SetupServer, startSetupServer } from '../api/setup-server';

/**
 * Applications made on the dashboard, in Chromium on local mode's server with the GitHub stand-in:
 * an admin creates one (the repository typed, then picked from the App's installed repositories
 * once an App is connected), adds an environment, and deletes both with typed confirmation.
 */
let assets: string;
let setup: SetupServer;
let browser: TestBrowser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  assets = buildDashboard();
  setup = await startSetupServer(assets);
  browser = await launchBrowser({ width: 1100, height: 760 });
  page = await browser.context.newPage();
  page.on('pageerror', error => pageErrors.push(error.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await setup?.close();
  if (assets) rmSync(assets, { recursive: true, force: true });
});

test('an admin creates an application, adds an environment, and deletes both', async () => {
  await page.goto(`${setup.server.url}/#/`);
  await page.getByTestId('sign-in-user').fill(SETUP_ADMIN.user);
  await page.getByTestId('sign-in-password').fill(SETUP_ADMIN.password);
  await page.getByTestId('sign-in-submit').click();

  // No GitHub App yet: the repository is typed.
  await page.getByTestId('new-app').click();
  await page.getByTestId('new-app-name').fill('shop');
  await page.getByTestId('new-app-repository').fill('acme/shop');
  await page.getByTestId('new-app-create').click();
  await page.waitForURL(`${setup.server.url}/#/apps/shop`);
  await page.getByTestId('pipeline').waitFor();
  expect(await page.locator('.pipeline-step').count()).toBe(3);

  await page.getByTestId('add-env').click();
  await page.getByTestId('add-env-name').fill('qa');
  await page.getByTestId('add-env-branch').fill('qa bad');
  await page.getByTestId('add-env-add').click();
  expect(await page.getByTestId('add-env-error').textContent()).toContain("branch 'qa bad' contains a space");
  await page.getByTestId('add-env-branch').fill('qa');
  await page.getByTestId('add-env-add').click();
  await page.getByTestId('delete-env-qa').waitFor();
  expect(await page.locator('.pipeline-step').count()).toBe(4);

  await page.getByTestId('delete-env-qa').click();
  await page.getByTestId('delete-confirm-input').fill('q');
  expect(await page.getByTestId('delete-confirm').isDisabled()).toBe(true);
  await page.getByTestId('delete-confirm-input').fill('qa');
  await page.getByTestId('delete-confirm').click();
  await page.getByTestId('delete-env-qa').waitFor({ state: 'detached' });
  expect(await page.locator('.pipeline-step').count()).toBe(3);

  await page.getByTestId('delete-app').click();
  await page.getByTestId('delete-confirm-input').fill('shop');
  await page.getByTestId('delete-confirm').click();
  await page.waitForURL(`${setup.server.url}/#/`);
  await page.getByTestId('app-web').waitFor();
  expect(await page.getByTestId('app-shop').count()).toBe(0);

  // With an App installed on acme/web and acme/docs, the repository is one of those, picked.
  const { webhookSecret: _webhookSecret, ...app } = setup.standIn.createApp({ name: 'trellis-local' });
  await new FileSecretSource(setup.secretsFile).update(secretNames.githubApp(SETUP_INSTALLATION), { ...app });
  setup.standIn.install(['acme/web', 'acme/docs']);
  await page.getByTestId('new-app').click();
  const options = page.locator('select[data-testid="new-app-repository"] option');
  await options.nth(2).waitFor({ state: 'attached' });
  expect(await options.allTextContents()).toEqual(['Choose a repository the GitHub App is installed on', 'acme/docs', 'acme/web']);
  await page.getByTestId('new-app-name').fill('docs');
  await page.getByTestId('new-app-repository').selectOption('acme/docs');
  await page.getByTestId('new-app-create').click();
  await page.waitForURL(`${setup.server.url}/#/apps/docs`);
  expect(pageErrors).toEqual([]);
}, 120_000);
