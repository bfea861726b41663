import { rmSync } from 'fs';
import { Page } from 'playwright-core';
import { TestBrowser, launchBrowser } from './support/browser';
import { buildDashboard } from './support/build-dashboard';
import { DashboardServer, startDashboardServer } from '../../src/local/dashboard-server';
import { LocalIdentity } from '../../src/local/local-identity';
import { FakeCommitSource, FakeLaunchQueue, FakeSecretStore } from '../api/fakes';
import { FakeTaskRunner } from '../deployments/fake-task-runner';
import { appConfig, envConfig } from '../store/fixtures';
import { freshStore } from '../support/test-table';

// The callbacks given to page.evaluate / addInitScript run in the page, where these exist.
declare const document: any;
declare const window: any;
declare const WebSocket: any;

/**
 * The built dashboard in Chromium on local mode's real server, which sends the dashboard's
 * CSP: the app works under it (sign-in, the API, the live log socket), and the page cannot
 * reach an origin the policy does not name.
 */
let assets: string;
let server: DashboardServer;
let browser: TestBrowser;
let page: Page;
const consoleViolations: string[] = [];

beforeAll(async () => {
  assets = buildDashboard();
  const { store } = await freshStore();
  await store.config.syncApplications([appConfig('shop', [envConfig('dev', { branch: 'main' })])]);
  server = await startDashboardServer({
    store,
    identity: new LocalIdentity([{ name: 'ada', password: 'ada-secret', groups: ['admin'] }]),
    api: { queue: new FakeLaunchQueue(), commits: new FakeCommitSource(), secrets: new FakeSecretStore(), runner: new FakeTaskRunner(), installation: 'local' },
    staticDir: assets,
    log: () => undefined,
  });
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on('console', message => {
    if (/Content Security Policy/i.test(message.text())) consoleViolations.push(message.text());
  });
  // Every violation the browser reports to the page, recorded from before the app's first script.
  await page.addInitScript(() => {
    window.violations = [];
    document.addEventListener('securitypolicyviolation', (event: any) => window.violations.push(`${event.violatedDirective} ${event.blockedURI}`));
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (assets) rmSync(assets, { recursive: true, force: true });
});

async function violations(): Promise<string[]> {
  return page.evaluate(() => window.violations as string[]);
}

/** Opens a WebSocket from the page: 'open', or how it failed. */
async function openSocket(url: string): Promise<string> {
  return page.evaluate(target => new Promise<string>(resolve => {
    try {
      const socket = new WebSocket(target);
      socket.onopen = () => {
        socket.close();
        resolve('open');
      };
      socket.onerror = () => resolve('error');
    } catch (error) {
      resolve(`thrown ${(error as Error).name}`);
    }
  }), url);
}

test('signed in under the CSP: the app loads, calls the API and opens the live log socket, with no violation', async () => {
  await page.goto(`${server.url}/#/`);
  await page.getByTestId('sign-in-user').fill('ada');
  await page.getByTestId('sign-in-password').fill('ada-secret');
  await page.getByTestId('sign-in-submit').click();
  await page.getByTestId('user-name').waitFor();
  await page.getByTestId('app-shop').waitFor();
  // As the live log connects: the session's token in the query.
  const token = await page.evaluate(() => window.sessionStorage.getItem('trellis.token') as string);
  expect(await openSocket(`${server.webSocketUrl}?token=${encodeURIComponent(token)}`)).toBe('open');
  expect(await violations()).toEqual([]);
  expect(consoleViolations).toEqual([]);
});

test('the page cannot reach another origin: fetch and WebSocket to this server under another name are refused', async () => {
  const other = server.url.replace('127.0.0.1', 'localhost');
  const fetched = await page.evaluate(target => fetch(target).then(() => 'answered', () => 'refused'), `${other}/api/health`);
  expect(fetched).toBe('refused');
  expect(await openSocket(server.webSocketUrl.replace('127.0.0.1', 'localhost'))).not.toBe('open');
  expect(await violations()).toEqual([`connect-src ${other}/api/health`, `connect-src ${other.replace('http:', 'ws:')}/live`]);
});
