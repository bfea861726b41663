import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { observeDeployments } from '../../src/local/deployment-events';
import { LocalGitHubReports, localGitHubReports } from '../../src/local/github-reports';
import { GitHubStandIn, startGitHubStandIn } from '../../src/local/github-stand-in/stand-in';
import { Clock, Store } from '../../src/runtime/core';
import { PullRequestEvent } from '../../src/runtime/core/previews';
import { finalizeTask } from '../../src/runtime/deployments/finalize';
import { launchQueued } from '../../src/runtime/deployments/launch';
import { gitHubConnection } from '../../src/runtime/github/github-connection';
import { commentOnPreview } from '../../src/runtime/previews/preview-comments';
import { handlePullRequest } from '../../src/runtime/previews/pull-requests';
import { FakeLaunchQueue } from '../api/fakes';
import { FakeTaskRunner, taskArn } from '../deployments/fake-task-runner';
import { appConfig, envConfig, steppingClock } from '../store/fixtures';
import { gitRepo } from '../support/git-repo';
import { memoryStore } from '../support/memory-table';

/**
 * A preview's one comment on its pull request, through the real GitHub App client over HTTP to
 * the GitHub stand-in, reported as local mode reports (each status change, in order): made at
 * the first change, edited in place after that.
 */

const REPOSITORY = 'acme/shop';
const DASHBOARD = 'http://127.0.0.1:4100';
const SHOP = {
  ...appConfig('shop', [envConfig('dev', { kind: 'development', branch: 'main', autoDeploy: true })], REPOSITORY),
  previews: { from: 'dev', forks: 'approve' as const, maxConcurrent: 3 },
};

describe('preview comments', () => {
  let dir: string;
  let commits: string[];
  let standIn: GitHubStandIn;
  let inner: Store;
  let store: Store;
  let clock: Clock;
  let reports: LocalGitHubReports;
  let logs: Array<Record<string, any>>;
  let credentials: ReturnType<GitHubStandIn['createApp']>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'preview-comments-'));
    commits = gitRepo(join(dir, 'shop'), { 'a.txt': 'one' }, { 'a.txt': 'two' });
    standIn = await startGitHubStandIn();
    standIn.addRepository(REPOSITORY, join(dir, 'shop'));
    credentials = standIn.createApp({
      name: 'trellis-previews',
      default_permissions: { contents: 'read', statuses: 'write', deployments: 'write', pull_requests: 'write', metadata: 'read' },
    });
    standIn.install([REPOSITORY]);
  });

  afterAll(async () => {
    await standIn.close();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    clock = steppingClock();
    ({ store: inner } = await memoryStore(clock));
    await inner.config.syncApplications([SHOP]);
    logs = [];
    const github = gitHubConnection({
      endpoints: standIn.endpoints, secrets: { get: async () => JSON.stringify(credentials) }, credentialsSecret: 'trellis/github-app', log: entry => logs.push(entry),
    });
    store = observeDeployments(inner, deployment => reports.report(deployment));
    reports = localGitHubReports({ github, store: inner, dashboardUrl: () => DASHBOARD, installation: 'local', log: entry => logs.push(entry), retry: { backoffMs: 1 } });
  });

  function pullRequest(action: string, number: number, headSha: string): PullRequestEvent {
    return { action, number, title: 'Faster checkout', author: 'octocat', repository: REPOSITORY, baseRef: 'main', headRepository: REPOSITORY, headRef: 'fast', headSha, merged: false };
  }

  /** The pull request's event, then its deployment built with `exitCode`, reported. */
  async function pushed(number: number, commit: string, exitCode: number): Promise<string> {
    const runner = new FakeTaskRunner();
    const outcome = await handlePullRequest(pullRequest('synchronize', number, commit), 'delivery', { store, queue: new FakeLaunchQueue(), clock, log: () => undefined });
    const id = outcome.previews[0].deployment!;
    await launchQueued(id, { store, runner, clock });
    runner.stopped(id);
    await finalizeTask({ deploymentId: id, taskId: taskArn(id), exitCode }, { store, runner, clock });
    await reports.settled();
    return id;
  }

  test('one comment per pull request, edited in place at every status change, its id kept on the preview', async () => {
    const first = await pushed(7, commits[0], 0);

    const [comment] = standIn.comments(REPOSITORY, 7);
    expect(standIn.comments(REPOSITORY, 7)).toHaveLength(1);
    expect(comment.body).toContain('**Trellis preview `pr-7`** of shop: ✅ deployed');
    expect(comment.body).toContain(`${DASHBOARD}/#/deployments/${first}`);
    expect(comment.body).toContain(`${DASHBOARD}/#/apps/shop/environments/pr-7`);
    expect((await inner.config.getEnvironment('shop', 'pr-7'))!.preview!.commentId).toBe(comment.id);

    const second = await pushed(7, commits[1], 1);
    expect(standIn.comments(REPOSITORY, 7)).toEqual([{ id: comment.id, body: expect.stringContaining('❌ failed') }]);
    expect(standIn.comments(REPOSITORY, 7)[0].body).toContain(`${DASHBOARD}/#/deployments/${second}`);
    expect(logs.filter(entry => entry.message === 'preview comment failed')).toEqual([]);
  });

  test('no GitHub App, or GitHub refusing: no comment, the reason logged, nothing thrown', async () => {
    const outcome = await handlePullRequest(pullRequest('opened', 8, commits[0]), 'delivery', { store: inner, queue: new FakeLaunchQueue(), clock, log: () => undefined });
    const deployment = (await inner.deployments.get(outcome.previews[0].deployment!))!;
    const log = (entry: Record<string, unknown>) => logs.push(entry);
    const withoutApp = { github: { app: async () => undefined }, store: inner, dashboardUrl: DASHBOARD, log };
    expect(await commentOnPreview(deployment, withoutApp)).toBe('no GitHub App: no comment');

    standIn.failNext(/\/issues\/8\/comments/, 500, 10);
    const github = gitHubConnection({ endpoints: standIn.endpoints, secrets: { get: async () => JSON.stringify(credentials) }, credentialsSecret: 'x', log: () => undefined });
    expect(await commentOnPreview(deployment, { ...withoutApp, github })).toBe('failed');
    expect(logs).toContainEqual(expect.objectContaining({ message: 'preview comment failed', environment: 'pr-8', error: expect.stringContaining('500') }));
    expect(standIn.comments(REPOSITORY, 8)).toEqual([]);
    // Not a preview: nothing asked of GitHub.
    const dev = { ...deployment, environment: 'dev' };
    expect(await commentOnPreview(dev, { ...withoutApp, github })).toBe('not a preview');
  });
});
