import { rmSync } from 'fs';
import { Page } from 'playwright-core';
import { TestBrowser, launchBrowser } from './support/browser';
import { buildDashboard } from './support/build-dashboard';
import { FakeControlPlane, startFakeControlPlane } from './support/fake-control-plane';

/**
 * Sign-in through an identity provider: the authorization code flow with PKCE against a
 * small provider that checks the S256 challenge, state and redirect URI like Cognito does.
 */

let assets: string;
let fake: FakeControlPlane;
let browser: TestBrowser;
let page: Page;

beforeAll(async () => {
  assets = buildDashboard();
  fake = await startFakeControlPlane({ staticDir: assets, auth: 'oidc' });
  browser = await launchBrowser();
  page = await browser.context.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await fake?.close();
  if (assets) rmSync(assets, { recursive: true, force: true });
});

test('signs in with code + PKCE, comes back to the page it left, and signs out at the provider', async () => {
  const requests: string[] = [];
  page.on('request', request => requests.push(request.url()));
  await page.goto(`${fake.url}/#/apps/shop`);
  expect(await page.getByTestId('sign-in-submit').textContent()).toBe('Sign in with your organization');
  await page.getByTestId('sign-in-submit').click();
  await page.getByTestId('env-dev').waitFor();

  const authorize = new URL(requests.find(url => url.includes('/oauth2/authorize'))!);
  expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
  expect(authorize.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
  expect(authorize.searchParams.get('scope')).toBe('openid email');
  expect(authorize.searchParams.get('redirect_uri')).toBe(`${fake.url}/`);
  // Back where it started, without the code in the address bar.
  expect(page.url()).toBe(`${fake.url}/#/apps/shop`);
  expect(await page.getByTestId('user-name').textContent()).toBe('ada');

  await page.getByTestId('sign-out').click();
  await page.getByTestId('sign-in').waitFor();
  expect(requests.some(url => url.startsWith(`${fake.url}/logout?`))).toBe(true);
});

test('a callback with a state this tab did not start is refused', async () => {
  await page.goto(`${fake.url}/?code=forged&state=forged#/`);
  await page.getByTestId('sign-in-error').waitFor();
  expect(await page.getByTestId('sign-in-error-reason').textContent()).toContain('does not match a sign-in started here');
  expect(page.url()).not.toContain('code=');
});
