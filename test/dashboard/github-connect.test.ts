import { execFileSync } from 'child_process';
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { stop as stopEsbuild } from 'esbuild';
import { Page } from 'playwright-core';
import { TestBrowser, launchBrowser } from './support/browser';
import { LOCAL_GIT_IDENTITY } from '../../src/local/local-mode';
import { TrellisProcess, bundleTrellis } from '../local/support/trellis-process';
import { eventually } from '../support/eventually';

/**
 * GitHub connected in local mode, as an admin goes through it: in Chromium, against the real
 * `trellis local` process and its GitHub stand-in. Create the GitHub App from the setup page,
 * install it on a repository, create an application of that repository from the dashboard, add
 * a custom environment, push (through the stand-in, which delivers the push to the App's
 * webhook as GitHub does), watch it deploy, and find its commit status and GitHub Deployment on
 * the stand-in's commit page.
 */

const REPOSITORY = 'local/quotes';
const APP = 'quotes';
const ENV = 'qa';

let cli: string;
let dataDir: string;
let trellis: TrellisProcess | undefined;
let browser: TestBrowser | undefined;
let page: Page;
const pageErrors: string[] = [];

/** The application's repository: what `trellis local` hosts from `<data dir>/repos/` as `local/<folder>`. */
function quotesRepository(dir: string): void {
  mkdirSync(path.join(dir, 'test'), { recursive: true });
  const files: Record<string, string> = {
    'package.json': JSON.stringify({
      name: 'quotes',
      version: '1.0.0',
      private: true,
      scripts: { test: 'node --test', deploy: 'node deploy.js', remove: 'node deploy.js' },
    }, null, 2),
    'package-lock.json': JSON.stringify({
      name: 'quotes', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'quotes', version: '1.0.0' } },
    }, null, 2),
    'deploy.js': 'console.log(`deployed quotes to ${process.env.STAGE}`);\n',
    'test/quote.test.js': "const test = require('node:test');\nconst assert = require('node:assert');\ntest('a quote', () => assert.equal(1 + 1, 2));\n",
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe', env: { ...process.env, ...LOCAL_GIT_IDENTITY } });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'Quotes');
}

beforeAll(async () => {
  cli = bundleTrellis();
  await stopEsbuild();
  dataDir = realpathSync(mkdtempSync(path.join(tmpdir(), 'trellis-github-ui-')));
  quotesRepository(path.join(dataDir, 'repos', APP));
  trellis = await TrellisProcess.start(cli, { dataDir });
  browser = await launchBrowser({ width: 1100, height: 760 });
  page = await browser.context.newPage();
  page.on('pageerror', error => pageErrors.push(error.message));
  page.on('console', message => {
    if (/Content Security Policy/i.test(message.text())) pageErrors.push(message.text());
  });
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await trellis?.stop('SIGINT', 20_000).catch(() => trellis?.child.kill('SIGKILL'));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  if (cli) rmSync(path.dirname(path.dirname(cli)), { recursive: true, force: true });
}, 60_000);

/** The deployment page shows it succeeded (or the test fails with what the page says). */
async function succeeded(): Promise<void> {
  await page.waitForFunction(
    () => (globalThis as any).document.querySelector('[data-testid="deployment-status"]')?.getAttribute('data-status') === 'succeeded',
    undefined, { timeout: 120_000 },
  ).catch(async error => {
    throw new Error(`${String(error)}\n${await page.locator('main').textContent()}`);
  });
}

test('an admin connects GitHub, creates an application with a custom environment, pushes, and sees it deployed and reported', async () => {
  const { url, github } = trellis!.info;
  expect(github?.repositories[REPOSITORY]).toBe(path.join(dataDir, 'repos', APP));
  const standIn = github!.url;

  await page.goto(`${url}/#/setup`);
  await page.getByTestId('sign-in-user').fill('admin');
  await page.getByTestId('sign-in-password').fill(trellis!.adminPassword);
  await page.getByTestId('sign-in-submit').click();

  // The App, made from its manifest on "GitHub", then installed on the repository.
  await page.getByTestId('create-app').click();
  await page.waitForURL(target => target.toString().startsWith(`${standIn}/settings/apps/new?state=`));
  await page.getByRole('button', { name: 'Create GitHub App' }).click();
  await page.waitForURL(`${url}/#/setup?created=1`);
  await page.getByTestId('setup-connected').waitFor();
  await page.goto((await page.getByTestId('setup-install').getAttribute('href'))!);
  await page.getByLabel(REPOSITORY).check();
  await page.getByRole('button', { name: 'Install' }).click();
  await page.waitForURL(target => target.toString().startsWith(url) && target.hash === '#/setup');
  await page.getByTestId('setup-repositories').getByText(REPOSITORY).waitFor();

  // The application, its repository picked from the App's, and a custom environment deploying on push to qa.
  await page.getByTestId('home').click();
  await page.getByTestId('new-app').click();
  await page.getByTestId('new-app-name').fill(APP);
  await page.getByTestId('new-app-repository').selectOption(REPOSITORY);
  await page.getByTestId('new-app-deploy-command').fill('npm run deploy');
  await page.getByTestId('new-app-remove-command').fill('npm run remove');
  await page.getByTestId('new-app-create').click();
  await page.waitForURL(target => target.hash === `#/apps/${APP}`);
  // Every standard environment deploys with the commands given.
  const created = await trellis!.api('GET', `/api/apps/${APP}`);
  expect(created.body.environments.map((env: { name: string }) => env.name)).toEqual(['dev', 'staging', 'production']);
  await page.getByTestId('add-env').click();
  await page.getByTestId('add-env-name').fill(ENV);
  await page.getByTestId('add-env-branch').fill(ENV);
  await page.getByTestId('add-env-auto-deploy').check();
  // No shell runs it: a shell line is refused before it is sent, saying why.
  await page.getByTestId('add-env-deployCommand').fill('npm run deploy && echo done');
  await page.getByTestId('add-env-add').click();
  expect(await page.getByTestId('add-env-error').textContent()).toContain("runs without a shell, so '&&' would reach the command as an argument");
  await page.getByTestId('add-env-deployCommand').fill('npm run deploy');
  await page.getByTestId('add-env-removeCommand').fill('npm run remove');
  await page.getByTestId('add-env-add').click();
  await page.getByTestId(`delete-env-${ENV}`).waitFor();

  // A push of qa: the stand-in delivers it to the App's webhook, which queues the qa deployment.
  const output = await trellis!.push(REPOSITORY, ENV, 'Quotes for qa');
  const deployment = new RegExp(`queued ${APP}/${ENV}\\s+\\S*#/deployments/(\\S+)`).exec(output)?.[1];
  expect({ output, deployment }).toEqual({ output, deployment: expect.any(String) });
  const commit = execFileSync('git', ['rev-parse', ENV], { cwd: path.join(dataDir, 'repos', APP), encoding: 'utf8' }).trim();

  await page.goto(`${url}/#/deployments/${deployment}`);
  await succeeded();
  expect(await page.locator('main').textContent()).toContain(`deployed quotes to ${ENV}`);

  // On "GitHub": the push's delivery succeeded, the commit has its status and its GitHub Deployment.
  // Reports are sent after the status change, never holding it up: the page shows them once they arrived.
  const rows = (heading: string) => page.locator(`h2:has-text("${heading}") + table tr`).allTextContents();
  const reported = await eventually('the commit status and the GitHub Deployment on the stand-in\'s commit page', async () => {
    await page.goto(`${standIn}/${REPOSITORY}/commit/${commit}`);
    const [statuses, deployments] = [(await rows('Statuses')).slice(1), (await rows('Deployments')).slice(1)];
    return statuses.at(-1)?.startsWith(`trellis/${APP}/${ENV}success`) && deployments[0]?.includes('success') ? { statuses, deployments } : undefined;
  }, 30_000);
  expect(reported.statuses.map(row => row.replace(/\s.*$/, ''))).toEqual([
    `trellis/${APP}/${ENV}pendingQueued`, `trellis/${APP}/${ENV}pendingDeploying`, `trellis/${APP}/${ENV}successDeployed`,
  ]);
  expect(reported.deployments).toEqual([`${APP}/${ENV}${commit.slice(0, 7)}successLog`]);

  // Deploy from the dashboard: the newest commit of qa is read from the repository the stand-in hosts.
  await page.goto(`${url}/#/apps/${APP}`);
  await page.getByTestId(`last-${ENV}`).waitFor();
  await page.getByTestId(`deploy-${ENV}`).click();
  await page.getByTestId('notice-link').waitFor();
  const manual = decodeURIComponent((await page.getByTestId('notice-link').getAttribute('href'))!.replace('#/deployments/', ''));
  expect(manual).not.toBe(deployment);
  await page.goto(`${url}/#/deployments/${manual}`);
  await succeeded();
  expect(await page.getByTestId('deployment-commit').textContent()).toContain(commit.slice(0, 7));
  expect(readdirSync(path.join(dataDir, 'github')).length).toBeGreaterThan(0);
  expect(pageErrors).toEqual([]);
}, 300_000);

test('in local mode an application\'s repository may be a local path: the stand-in hosts it, the App reaches it, a push deploys it', async () => {
  const notes = mkdtempSync(path.join(tmpdir(), 'trellis-notes-'));
  const repository = path.join(notes, 'notes');
  quotesRepository(repository);
  const framework = { kind: 'custom', deploy: ['npm', 'run', 'deploy'], remove: ['npm', 'run', 'remove'] };
  try {
    const inside = await trellis!.api('POST', '/api/apps', { name: 'inside', repository: path.join(repository, 'test') });
    expect({ status: inside.status, reason: inside.body.reason }).toEqual({ status: 400, reason: expect.stringMatching(/^repository: .*inside the git repository/) });
    const relative = await trellis!.api('POST', '/api/apps', { name: 'relative', repository: 'notes' });
    expect({ status: relative.status, reason: relative.body.reason }).toEqual({ status: 400, reason: expect.stringMatching(/^repository: /) });

    const created = await trellis!.api('POST', '/api/apps', { name: 'notes', repository, environments: [{ kind: 'development', framework }] });
    expect({ status: created.status, repository: created.body.repository }).toEqual({ status: 201, repository: 'local/notes' });
    // The App was installed on local's repositories: it reaches this one too.
    expect((await trellis!.api('GET', '/api/github')).body.repositories.map((hosted: { fullName: string }) => hosted.fullName))
      .toEqual(['local/notes', REPOSITORY]);

    const output = await trellis!.push('local/notes', 'main', 'Notes');
    const deployment = /queued notes\/dev\s+\S*#\/deployments\/(\S+)/.exec(output)?.[1];
    expect({ output, deployment }).toEqual({ output, deployment: expect.any(String) });
    const status = await eventually('the notes deployment to end', async () => {
      const read = await trellis!.api('GET', `/api/deployments/${encodeURIComponent(deployment!)}`);
      return ['succeeded', 'failed'].includes(read.body.status) ? read.body : undefined;
    }, 120_000);
    expect({ status: status.status, reason: status.reason }).toEqual({ status: 'succeeded', reason: undefined });
  } finally {
    rmSync(notes, { recursive: true, force: true });
  }
}, 200_000);
