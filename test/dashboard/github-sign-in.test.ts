import { rmSync } from 'fs';
import { Page } from 'playwright-core';
import { TestBrowser, launchBrowser } from './support/browser';
import { buildDashboard } from './support/build-dashboard';
import { SignInServer, startSignInServer } from '../local/support/github-sign-in-server';

/**
 * Sign in with GitHub in Chromium, on local mode's server with the GitHub stand-in as GitHub: the
 * sign-in page's GitHub button, GitHub's authorize page, the way back with the token in the
 * fragment (kept, then gone from the address bar), the page the user was on; a refused user's
 * page; a token in a link this tab did not ask for is not taken.
 */
let assets: string;
let world: SignInServer;
let browser: TestBrowser;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  assets = buildDashboard();
  world = await startSignInServer(assets);
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on('pageerror', error => errors.push(error.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
  if (assets) rmSync(assets, { recursive: true, force: true });
});

/** The session's token as the dashboard keeps it (sessionStorage: this tab only). */
function storedToken(tab: Page): Promise<string | null> {
  return tab.evaluate<string | null>("sessionStorage.getItem('trellis.token')");
}

async function signInWithGitHubAs(login: string): Promise<void> {
  await page.getByTestId('sign-in-github').click();
  await page.waitForURL(url => url.toString().startsWith(`${world.standIn.url}/login/oauth/authorize?`));
  await page.getByRole('button', { name: `Sign in as ${login}` }).click();
}

test('a team member signs in with GitHub and comes back to the page they left, the token out of the address bar', async () => {
  const { server } = world;
  await page.goto(`${server.url}/#/apps/shop`);
  // Local mode offers both.
  await page.getByTestId('sign-in-password').waitFor();
  expect(await page.getByTestId('sign-in-github').textContent()).toBe('Sign in with GitHub');

  await signInWithGitHubAs('dana');
  await page.waitForURL(`${server.url}/#/apps/shop`);
  await page.getByTestId('env-dev').waitFor();
  expect(await page.getByTestId('user-name').textContent()).toBe('dana');
  expect(page.url()).not.toContain('token');
  expect(errors).toEqual([]);
});

test('a token in a link this tab did not ask for signs nobody in', async () => {
  const { server } = world;
  const token = await storedToken(page);
  expect(token).toMatch(/^ey/);
  const other = await browser.context.newPage();
  try {
    await other.goto(`${server.url}/#token=${token}`);
    await other.getByTestId('sign-in').waitFor();
    expect(other.url()).not.toContain('token=');
    expect(await storedToken(other)).toBeNull();
  } finally {
    await other.close();
  }
});

test('a user outside the mapped teams lands on a page saying why, with a way back to the dashboard', async () => {
  const { server } = world;
  await page.getByTestId('sign-out').click();
  await page.getByTestId('sign-in').waitFor();
  await signInWithGitHubAs('eve');
  await page.waitForURL(url => url.toString().startsWith(`${server.url}/auth/github/callback?`));
  expect(await page.locator('#reason').textContent()).toContain('eve is in none of the GitHub organizations or teams');
  await page.locator('#back').click();
  await page.getByTestId('sign-in').waitFor();
  expect(await storedToken(page)).toBeNull();
});
