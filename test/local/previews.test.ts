import { execFileSync } from 'child_process';
import { randomUUID } from 'crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import examples from '@octokit/webhooks-examples';
import { Page } from 'playwright-core';
import { cleanUp, noteDescendants } from './support/process-cleanup';
import { TrellisProcess, bundleTrellis } from './support/trellis-process';
import { DataDir } from '../../src/local/data-dir';
import { LOCAL_GIT_IDENTITY } from '../../src/local/local-mode';
import { Deployment } from '../../src/runtime/core';
import { TestBrowser, launchBrowser } from '../dashboard/support/browser';
import { signInAs } from '../dashboard/support/local-session';
import { LocalApi } from '../reliability/support/local-trellis';
import { eventually } from '../support/eventually';
import { githubSignature } from '../support/github-webhook';

/**
 * Pull-request previews end to end: `trellis local` as a real process, GitHub's own pull_request
 * example payloads pointed at the local repository and signed with the local webhook secret.
 * The app's deploy writes `<data dir>/deployed/<stage>.json` (the commit, and the secret
 * SHOP_TOKEN when the build had it); its remove deletes that file. The last test uses the
 * dashboard (Chromium): the Previews section, Approve and the switch.
 */

const APP = 'shop';
const SECRET_VALUE = 'shop-token-value-9f8e7d6c';
type Json = Record<string, any>;

let cli: string | undefined;
let work: string | undefined;
let repo: string;
let trellis: TrellisProcess;
const started: TrellisProcess[] = [];
const commands = new Map<number, string>();
const api = new LocalApi(() => trellis);
let browser: TestBrowser | undefined;

const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', env: { ...process.env, ...LOCAL_GIT_IDENTITY } }).trim();

/** A commit on `branch` (made from main when new): its SHA. */
function commitOn(branch: string, change: string): string {
  const exists = git('branch', '--list', branch) !== '';
  git('checkout', '-q', ...(exists ? [branch] : ['-b', branch, 'main']));
  writeFileSync(join(repo, 'change.txt'), change);
  git('add', '-A');
  git('commit', '-q', '-m', change);
  const sha = git('rev-parse', 'HEAD');
  git('checkout', '-q', 'main');
  return sha;
}

/** GitHub's example event for `action`, made pull request `number` of the local repository at `head` (on `branch`), from a fork when `fork`. */
function pullRequest(action: string, number: number, branch: string, head: string, fork = false): Json {
  const definition = examples.find(d => d.name === 'pull_request')!;
  const payload = structuredClone(definition.examples.find(e => (e as Json).action === action)) as Json;
  const repository = `local/${APP}`;
  payload.number = number;
  payload.repository.full_name = repository;
  payload.pull_request.number = number;
  payload.pull_request.base.ref = 'main';
  payload.pull_request.base.repo.full_name = repository;
  payload.pull_request.head.ref = branch;
  payload.pull_request.head.sha = head;
  payload.pull_request.head.repo.full_name = fork ? `mallory/${APP}` : repository;
  return payload;
}

/** POST it to the local webhook as GitHub does, signed with the installation's webhook secret. */
async function deliver(payload: Json): Promise<Json> {
  const body = JSON.stringify(payload);
  // What `trellis push` signs with: made on first use, and read by the server at each delivery.
  const secret = new DataDir(trellis.dataDir).webhookSecret();
  const response = await fetch(trellis.info.webhookUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'pull_request',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': githubSignature(secret, body),
    },
    body,
  });
  expect(response.status).toBe(202);
  return await response.json() as Json;
}

function deployed(stage: string): { commit: string; token: string | null } | undefined {
  const file = join(trellis.dataDir, 'deployed', `${stage}.json`);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
}

async function ended(id: string): Promise<Deployment> {
  const done = await api.terminal(id, 120_000);
  noteDescendants(trellis, commands);
  return done;
}

beforeAll(async () => {
  cli = bundleTrellis();
  work = mkdtempSync(join(tmpdir(), 'trellis-previews-e2e-'));
  repo = join(work, APP);
  mkdirSync(repo);
  writeFileSync(join(repo, 'deploy.js'), [
    "const { mkdirSync, writeFileSync } = require('fs');",
    'mkdirSync(process.env.DEPLOY_DIR, { recursive: true });',
    'writeFileSync(`${process.env.DEPLOY_DIR}/${process.env.STAGE}.json`, JSON.stringify({ commit: process.env.TRELLIS_COMMIT, token: process.env.SHOP_TOKEN ?? null }));',
  ].join('\n'));
  writeFileSync(join(repo, 'remove.js'), "require('fs').rmSync(`${process.env.DEPLOY_DIR}/${process.env.STAGE}.json`, { force: true });\n");
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'Shop');
  const config = join(work, 'trellis.json');
  writeFileSync(config, JSON.stringify({
    applications: [{
      name: APP,
      repository: `./${APP}`,
      environments: [{
        kind: 'development',
        runTests: false,
        variables: { DEPLOY_DIR: '{dataDir}/deployed' },
        framework: { kind: 'custom', deploy: ['node', 'deploy.js'], remove: ['node', 'remove.js'] },
      }],
      previews: { from: 'dev', maxConcurrent: 2 },
    }],
  }, null, 2));
  trellis = await TrellisProcess.start(cli, { dataDir: join(work, 'data'), config });
  started.push(trellis);
  // dev's secret: what a preview of the repository's own branch reads, and a fork's never does.
  await api.call('PUT', `/api/apps/${APP}/environments/dev/settings`, { secrets: { SHOP_TOKEN: SECRET_VALUE } });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  if (process.env.TRELLIS_E2E_OUTPUT) writeFileSync(process.env.TRELLIS_E2E_OUTPUT, started.map(proc => proc.output).join('\n=====\n'));
  await cleanUp(started, commands, [work, cli && dirname(dirname(cli))].filter((path): path is string => path !== undefined));
}, 60_000);

describe('trellis local: pull-request previews', () => {
  test('opened: pr-7 deploys the head to its own stage, with dev\'s secret; synchronize redeploys the new head', async () => {
    const first = commitOn('feature-7', 'first');
    const opened = await deliver(pullRequest('opened', 7, 'feature-7', first));
    expect(opened.previews).toEqual([expect.objectContaining({ application: APP, environment: 'pr-7', status: 'deploying' })]);
    const done = await ended(opened.previews[0].deployment);
    expect(done).toMatchObject({ status: 'succeeded', environment: 'pr-7', commit: first, trigger: { kind: 'pull_request' } });
    expect(deployed('pr-7')).toEqual({ commit: first, token: SECRET_VALUE });
    expect(deployed('dev')).toBeUndefined();

    const second = commitOn('feature-7', 'second');
    const synchronized = await deliver(pullRequest('synchronize', 7, 'feature-7', second));
    expect((await ended(synchronized.previews[0].deployment)).status).toBe('succeeded');
    expect(deployed('pr-7')).toEqual({ commit: second, token: SECRET_VALUE });
  }, 240_000);

  test('a fork: waits for approval, then deploys without any secret', async () => {
    const head = commitOn('fork-8', 'from a fork');
    const opened = await deliver(pullRequest('opened', 8, 'fork-8', head, true));
    expect(opened.previews).toEqual([expect.objectContaining({ environment: 'pr-8', status: 'awaiting-approval' })]);
    const app = await api.call('GET', `/api/apps/${APP}`);
    const waiting = app.previews.environments.find((env: Json) => env.name === 'pr-8');
    expect(waiting).toMatchObject({ preview: { fork: true, awaitingApproval: head }, allowed: { approve: true } });
    expect(await api.history(APP, 'pr-8')).toEqual([]);

    const approved = await api.call('POST', `/api/apps/${APP}/environments/pr-8/approve`, {}, 202);
    const done = await ended(approved.id);
    expect(done).toMatchObject({ status: 'succeeded', commit: head, trigger: { kind: 'pull_request', actor: 'admin' } });
    expect(deployed('pr-8')).toEqual({ commit: head, token: null });
    const log = (await api.log(approved.id)).map(record => record.text).join('\n');
    expect(log).not.toContain(SECRET_VALUE);
  }, 240_000);

  test('the cap refuses the next preview with the reason', async () => {
    const head = commitOn('feature-9', 'one too many');
    const refused = await deliver(pullRequest('opened', 9, 'feature-9', head));
    expect(refused.accepted).toBe(false);
    expect(refused.previews).toEqual([{
      application: APP,
      environment: 'pr-9',
      status: 'refused',
      reason: 'preview limit 2 reached for shop: pr-7, pr-8 are open; close one or raise previews.maxConcurrent',
    }]);
    const audit = await api.call('GET', `/api/apps/${APP}/audit?action=preview`);
    expect(audit.items[0]).toMatchObject({ environment: 'pr-9', result: { status: 409, reason: refused.previews[0].reason } });
  }, 60_000);

  test('closed: pr-7 is torn down and gone', async () => {
    const head = git('rev-parse', 'feature-7');
    const closed = await deliver(pullRequest('closed', 7, 'feature-7', head));
    expect(closed.previews).toEqual([expect.objectContaining({ environment: 'pr-7', status: 'tearing-down' })]);
    const teardown = await ended(closed.previews[0].deployment);
    expect(teardown).toMatchObject({ action: 'teardown', status: 'succeeded' });
    expect(deployed('pr-7')).toBeUndefined();
    const gone = await eventually('pr-7 to be removed', async () => {
      const app = await api.call('GET', `/api/apps/${APP}`);
      return app.previews.environments.every((env: Json) => env.name !== 'pr-7') && app;
    }, 30_000);
    expect(gone.previews.environments.map((env: Json) => env.name)).toEqual(['pr-8']);
    // Its deployments stay readable.
    expect(await api.deployment(teardown.id)).toMatchObject({ environment: 'pr-7', status: 'succeeded' });
  }, 240_000);

  test('the dashboard: previews under their application, a fork approved with a click, the switch', async () => {
    const head = commitOn('fork-10', 'another fork');
    expect((await deliver(pullRequest('opened', 10, 'fork-10', head, true))).previews[0].status).toBe('awaiting-approval');
    browser = await launchBrowser({ width: 1280, height: 900 });
    const page: Page = await browser.context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', error => pageErrors.push(error.message));
    await signInAs(page, trellis.info.url, { name: 'admin', password: trellis.adminPassword });
    await page.goto(`${trellis.info.url}/#/apps/${APP}`);
    await page.getByTestId('previews').waitFor();
    // In their own group, not in the pipeline.
    expect(await page.locator('.pipeline-step').count()).toBe(1);
    expect(await page.getByTestId('preview-pr-8').textContent()).toContain('#8');
    expect(await page.getByTestId('preview-pr-10-fork').isVisible()).toBe(true);
    expect(await page.getByTestId('approve-pr-8').count()).toBe(0);

    await page.getByTestId('approve-pr-10').click();
    await page.getByTestId('notice').waitFor();
    const [approved] = await api.history(APP, 'pr-10');
    expect(approved).toMatchObject({ commit: head, trigger: { kind: 'pull_request', actor: 'admin' } });
    expect((await ended(approved.id)).status).toBe('succeeded');
    expect(deployed('pr-10')).toEqual({ commit: head, token: null });

    await page.getByTestId('previews-switch').click();
    await page.getByTestId('previews-off').waitFor();
    expect((await api.call('GET', `/api/apps/${APP}`)).previews.enabled).toBe(false);
    const switchedOff = await deliver(pullRequest('opened', 11, 'fork-10', head));
    expect(switchedOff.ignored).toEqual([`${APP}: previews are switched off on the dashboard`]);
    expect(pageErrors).toEqual([]);
  }, 240_000);
});
