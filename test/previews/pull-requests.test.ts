import { createHash, randomUUID } from 'crypto';
import examples from '@octokit/webhooks-examples';
import { DeploymentScheduler } from '../../src/runtime/core';
import { MAX_TEARDOWN_ATTEMPTS, capReason, previewEnvironment } from '../../src/runtime/core/previews';
import { finishDeletion } from '../../src/runtime/deployments/deletion';
import { taskRequest } from '../../src/runtime/deployments/launch';
import { sweepPreviews } from '../../src/runtime/previews/pull-requests';
import { handleWebhook } from '../../src/runtime/webhook/webhook-handler';
import { Harness, admin, apiHarness, deployer, viewer } from '../api/harness';
import { appConfig, envConfig } from '../store/fixtures';
import { githubSignature } from '../support/github-webhook';
import { memoryStore } from '../support/memory-table';

/**
 * Pull requests → preview environments through the webhook handler and the control API, with
 * GitHub's own pull_request example payloads (Codertocat/Hello-World #2) re-signed, on the
 * in-memory store (the same store code as on DynamoDB). test/local/previews.test.ts runs the
 * whole thing in `trellis local`, with real builds.
 */

const SECRET = 'previews-webhook-secret-1a2b';
const REPOSITORY = 'Codertocat/Hello-World';
type Json = Record<string, any>;

const SHOP = {
  ...appConfig('shop', [
    envConfig('dev', { kind: 'development', branch: 'master', autoDeploy: true, variables: { API_URL: 'https://dev.example' }, runTests: true, testCommand: ['npm', 'test'] }),
    envConfig('prod', { kind: 'production', protected: true }),
  ], REPOSITORY),
  previews: { from: 'dev', forks: 'approve' as const, maxConcurrent: 2, buildRoleArn: 'arn:aws:iam::111122223333:role/previews', forkBuildRoleArn: 'arn:aws:iam::111122223333:role/fork-previews' },
};

function sha(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

/** GitHub's example pull_request event with `action`, changed to be pull request `number` at `head`, from a fork when `fork`. */
function pullRequest(action: string, number: number, options: { head?: string; fork?: boolean; merged?: boolean } = {}): Json {
  const definition = examples.find(d => d.name === 'pull_request')!;
  const payload = structuredClone(definition.examples.find(e => (e as Json).action === action) ?? definition.examples[0]) as Json;
  payload.action = action;
  payload.number = number;
  payload.pull_request.number = number;
  payload.pull_request.head.sha = options.head ?? sha(`pr-${number}`);
  if (options.fork) payload.pull_request.head.repo.full_name = 'mallory/Hello-World';
  if (options.merged !== undefined) payload.pull_request.merged = options.merged;
  return payload;
}

test("a fork's preview shares no storage: no dependency cache, no stored artifact; the repository's own previews keep the from-environment's", () => {
  const from = envConfig('dev', { kind: 'development', framework: { kind: 'custom', deploy: ['npm', 'run', 'deploy'], artifact: ['dist'] } });
  const preview = (fork: boolean) => previewEnvironment(from, SHOP.previews, {
    pullRequest: 3, fork, headRepository: fork ? 'mallory/Hello-World' : REPOSITORY, headRef: 'changes', headSha: sha('x'), from: 'dev',
  });
  expect(preview(false)).toMatchObject({ framework: { artifact: ['dist'] }, buildRoleArn: SHOP.previews.buildRoleArn });
  expect(preview(false).dependencyCache).toBeUndefined();
  expect(preview(true)).toMatchObject({ dependencyCache: false, framework: { kind: 'custom', deploy: ['npm', 'run', 'deploy'] }, buildRoleArn: SHOP.previews.forkBuildRoleArn });
  expect(preview(true).framework!.artifact).toBeUndefined();
});

describe('pull-request previews', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await apiHarness([SHOP], memoryStore);
  });

  async function deliver(payload: Json): Promise<{ status: number; body: Json }> {
    const body = Buffer.from(JSON.stringify(payload));
    const response = await handleWebhook({
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'pull_request',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': githubSignature(SECRET, body),
      },
      body,
    }, { secrets: async () => [SECRET], store: h.store, queue: h.queue, clock: h.deps.clock, log: entry => h.logs.push(entry) });
    return { status: response.statusCode, body: JSON.parse(response.body) as Json };
  }

  /** The deployment ends as `status` the way the launcher and finalizer end it (its version current when it succeeded). */
  async function run(id: string, status: 'succeeded' | 'failed'): Promise<void> {
    const scheduler = new DeploymentScheduler(h.store, h.deps.clock);
    const deployment = (await h.store.deployments.get(id))!;
    expect((await scheduler.claim(deployment)).launch).toBe(true);
    await h.store.deployments.transition(id, 'running');
    const { deployment: ended } = await scheduler.complete(id, status);
    await finishDeletion(ended, h.store);
  }

  test('opened: pr-<n> is made from the from-environment and deploys the head; synchronize redeploys the new head', async () => {
    const opened = await deliver(pullRequest('opened', 7));

    expect(opened.status).toBe(202);
    expect(opened.body.previews).toEqual([expect.objectContaining({ application: 'shop', environment: 'pr-7', status: 'deploying' })]);
    const env = (await h.store.config.getEnvironment('shop', 'pr-7'))!;
    expect(env).toMatchObject({
      kind: 'custom',
      protected: false,
      autoDeploy: false,
      runTests: true,
      testCommand: ['npm', 'test'],
      variables: { API_URL: 'https://dev.example' },
      buildRoleArn: SHOP.previews.buildRoleArn,
      preview: { pullRequest: 7, fork: false, from: 'dev', secretsFrom: 'dev', headSha: sha('pr-7'), author: 'Codertocat' },
    });
    expect(env.branch).toBeUndefined();
    const first = (await h.store.deployments.get(opened.body.previews[0].deployment))!;
    expect(first).toMatchObject({ environment: 'pr-7', action: 'deploy', commit: sha('pr-7'), branch: 'changes', trigger: { kind: 'pull_request', actor: 'Codertocat' } });
    expect(h.queue.sent.map(m => m.deploymentId)).toEqual([first.id]);
    // The build reads dev's secrets with the previews' role.
    expect(taskRequest(first, 'token', env.buildRoleArn, env.preview!.secretsFrom)).toMatchObject({ secretsFrom: 'dev', taskRoleArn: SHOP.previews.buildRoleArn });

    const again = await deliver(pullRequest('synchronize', 7, { head: sha('second') }));
    const second = (await h.store.deployments.get(again.body.previews[0].deployment))!;
    expect(second.commit).toBe(sha('second'));
    expect((await h.store.config.getEnvironment('shop', 'pr-7'))!.preview!.headSha).toBe(sha('second'));

    // Never in promotion order: dev promotes to prod, and the API lists the preview apart.
    const view = await h.call('GET', '/api/apps/shop', { principal: viewer });
    expect(view.json.environments.map((e: Json) => e.name)).toEqual(['dev', 'prod']);
    expect(view.json.previews).toMatchObject({ from: 'dev', forks: 'approve', maxConcurrent: 2, enabled: true });
    expect(view.json.previews.environments.map((e: Json) => [e.name, e.preview.pullRequest, e.preview.fork])).toEqual([['pr-7', 7, false]]);
  });

  test("a preview's settings change by its own rules (it races no branch)", async () => {
    await deliver(pullRequest('opened', 7));
    const bad = await h.call('PUT', '/api/apps/shop/environments/pr-7/settings', { principal: admin, body: { branch: 'a b' } });
    expect(bad.status).toBe(400);
    expect(bad.json.reason).toMatch(/branch/);
    const good = await h.call('PUT', '/api/apps/shop/environments/pr-7/settings', { principal: admin, body: { variables: { API_URL: 'https://pr-7.example' } } });
    expect(good.status).toBe(200);
    expect(good.json).toMatchObject({ name: 'pr-7', variables: { API_URL: 'https://pr-7.example' }, preview: { pullRequest: 7 } });
  });

  test('config sync from code leaves previews alone', async () => {
    await deliver(pullRequest('opened', 7));
    await h.store.config.syncApplications([SHOP]);
    expect(await h.store.config.getEnvironment('shop', 'pr-7')).toBeDefined();
  });

  test('a fork: no secrets, the fork role, and nothing builds until a deployer approves each new commit', async () => {
    const opened = await deliver(pullRequest('opened', 8, { fork: true }));

    expect(opened.body.previews).toEqual([expect.objectContaining({ environment: 'pr-8', status: 'awaiting-approval' })]);
    expect(h.queue.sent).toEqual([]);
    const env = (await h.store.config.getEnvironment('shop', 'pr-8'))!;
    expect(env.buildRoleArn).toBe(SHOP.previews.forkBuildRoleArn);
    expect(env.preview).toMatchObject({ fork: true, headRepository: 'mallory/Hello-World', awaitingApproval: sha('pr-8') });
    expect(env.preview!.secretsFrom).toBeUndefined();
    expect(env.dependencyCache).toBe(false); // nothing a fork saves is restored elsewhere

    expect((await h.call('POST', '/api/apps/shop/environments/pr-8/approve', { principal: viewer, body: {} })).status).toBe(403);
    const approved = await h.call('POST', '/api/apps/shop/environments/pr-8/approve', { principal: deployer, body: {} });
    expect(approved.status).toBe(202);
    expect(approved.json).toMatchObject({ environment: 'pr-8', commit: sha('pr-8'), trigger: { kind: 'pull_request', actor: 'dora' } });
    expect(h.queue.sent.map(m => m.deploymentId)).toEqual([approved.json.id]);
    // Its task reads no secret at all.
    expect(taskRequest(approved.json, 'token', env.buildRoleArn, null).secretsFrom).toBeNull();
    // Approved once: a second approval has nothing to approve.
    expect((await h.call('POST', '/api/apps/shop/environments/pr-8/approve', { principal: deployer, body: {} })).status).toBe(409);

    // A new push to the fork waits again.
    await deliver(pullRequest('synchronize', 8, { fork: true, head: sha('fork-2') }));
    expect(h.queue.sent).toHaveLength(1);
    expect((await h.store.config.getEnvironment('shop', 'pr-8'))!.preview!.awaitingApproval).toBe(sha('fork-2'));
    const audit = await h.store.audit.list('shop', { action: 'approve-preview' });
    expect(audit.items.map(entry => [entry.actor, entry.environment, entry.result.status])).toEqual([['dora', 'pr-8', 409], ['dora', 'pr-8', 202], ['vera', 'pr-8', 403]]);
  });

  test("forks: 'ignore' makes no preview for a fork", async () => {
    h = await apiHarness([{ ...SHOP, previews: { ...SHOP.previews, forks: 'ignore' } }], memoryStore);
    const answer = await deliver(pullRequest('opened', 9, { fork: true }));
    expect(answer.body.previews).toEqual([]);
    expect(answer.body.ignored.join(' ')).toMatch(/forks get no preview/);
    expect(await h.store.config.getEnvironment('shop', 'pr-9')).toBeUndefined();
  });

  test('the cap refuses the next preview, saying which are open; the audit trail and the log say why', async () => {
    await deliver(pullRequest('opened', 4));
    await deliver(pullRequest('opened', 9));
    const refused = await deliver(pullRequest('opened', 12));

    const reason = 'preview limit 2 reached for shop: pr-4, pr-9 are open; close one or raise previews.maxConcurrent';
    expect(capReason('shop', 2, ['pr-9', 'pr-4'])).toBe(reason);
    expect(refused.status).toBe(202);
    expect(refused.body.accepted).toBe(false);
    expect(refused.body.previews).toEqual([{ application: 'shop', environment: 'pr-12', status: 'refused', reason }]);
    expect(await h.store.config.getEnvironment('shop', 'pr-12')).toBeUndefined();
    const audit = await h.store.audit.list('shop', { action: 'preview' });
    expect(audit.items).toEqual([expect.objectContaining({ actor: 'Codertocat', environment: 'pr-12', result: { status: 409, reason } })]);
    expect(h.logs).toContainEqual(expect.objectContaining({ message: 'preview refused', reason }));
    // An open preview's next commit still deploys.
    expect((await deliver(pullRequest('synchronize', 9, { head: sha('nine') }))).body.previews[0].status).toBe('deploying');

    // Closing one frees its place.
    await deliver(pullRequest('closed', 4));
    expect((await deliver(pullRequest('opened', 12))).body.previews[0].status).toBe('deploying');
  });

  test('closed: a preview that runs nothing goes at once; a deployed one is torn down, then removed', async () => {
    await deliver(pullRequest('opened', 5, { fork: true }));
    const closedWaiting = await deliver(pullRequest('closed', 5));
    expect(closedWaiting.body.previews).toEqual([{ application: 'shop', environment: 'pr-5', status: 'removed' }]);
    expect(await h.store.config.getEnvironment('shop', 'pr-5')).toBeUndefined();

    const opened = await deliver(pullRequest('opened', 6));
    await run(opened.body.previews[0].deployment, 'succeeded');
    const closed = await deliver(pullRequest('closed', 6, { merged: true }));
    expect(closed.body.previews).toEqual([expect.objectContaining({ environment: 'pr-6', status: 'tearing-down' })]);
    const teardown = (await h.store.deployments.get(closed.body.previews[0].deployment))!;
    expect(teardown).toMatchObject({ action: 'teardown', commit: sha('pr-6'), trigger: { kind: 'pull_request' } });
    expect((await h.store.config.getEnvironment('shop', 'pr-6'))!.deleting?.teardownId).toBe(teardown.id);
    // Being removed: a new commit deploys nothing.
    const pushedMeanwhile = await deliver(pullRequest('synchronize', 6, { head: sha('late') }));
    expect(pushedMeanwhile.body.ignored.join(' ')).toMatch(/still being removed/);

    await run(teardown.id, 'succeeded');
    expect(await h.store.config.getEnvironment('shop', 'pr-6')).toBeUndefined();
    expect((await h.store.previews.settings('shop')).open).toEqual([]);
  });

  test('closed before its first deploy started: the queued deploy is cancelled and the preview goes', async () => {
    const opened = await deliver(pullRequest('opened', 14));
    const closed = await deliver(pullRequest('closed', 14));
    expect(closed.body.previews).toEqual([{ application: 'shop', environment: 'pr-14', status: 'removed' }]);
    expect(await h.store.deployments.get(opened.body.previews[0].deployment)).toMatchObject({ status: 'cancelled', reason: 'the pull request closed' });
    expect(await h.store.config.getEnvironment('shop', 'pr-14')).toBeUndefined();
  });

  test('a failed teardown is asked for again by the sweep, a bounded number of times', async () => {
    const opened = await deliver(pullRequest('opened', 3));
    await run(opened.body.previews[0].deployment, 'succeeded');
    const closed = await deliver(pullRequest('closed', 3));
    let teardown = closed.body.previews[0].deployment as string;
    const teardowns = [teardown];
    for (let attempt = 1; attempt < MAX_TEARDOWN_ATTEMPTS; attempt++) {
      await run(teardown, 'failed');
      // Two sweeps at once ask for one teardown.
      await Promise.all([sweepPreviews(h.deps), sweepPreviews(h.deps)]);
      const env = (await h.store.config.getEnvironment('shop', 'pr-3'))!;
      expect(env.deleting!.teardownId).not.toBe(teardown);
      teardown = env.deleting!.teardownId!;
      teardowns.push(teardown);
    }
    await run(teardown, 'failed');
    await h.call('GET', '/api/apps', { principal: admin }); // a sweep too: nothing more is asked
    const env = (await h.store.config.getEnvironment('shop', 'pr-3'))!;
    expect(env.preview!.teardownAttempts).toBe(MAX_TEARDOWN_ATTEMPTS);
    expect(env.deleting!.teardownId).toBe(teardown);
    const all = (await h.store.deployments.listByEnvironment('shop', 'pr-3')).items.filter(d => d.action === 'teardown');
    expect(all.map(d => d.id).sort()).toEqual([...teardowns].sort());
  });

  test('the dashboard switch: off, a pull request gets no preview; admins only, and only where code configures previews', async () => {
    expect((await h.call('PUT', '/api/apps/shop/previews', { principal: deployer, body: { enabled: false } })).status).toBe(403);
    expect((await h.call('PUT', '/api/apps/shop/previews', { principal: admin, body: { enabled: 'no' } })).status).toBe(400);
    const off = await h.call('PUT', '/api/apps/shop/previews', { principal: admin, body: { enabled: false } });
    expect(off.status).toBe(200);
    expect(off.json.enabled).toBe(false);
    const answer = await deliver(pullRequest('opened', 11));
    expect(answer.body.ignored.join(' ')).toMatch(/switched off/);
    expect(await h.store.config.getEnvironment('shop', 'pr-11')).toBeUndefined();
    await h.call('PUT', '/api/apps/shop/previews', { principal: admin, body: { enabled: true } });
    expect((await deliver(pullRequest('opened', 11))).body.previews[0].status).toBe('deploying');

    h = await apiHarness([appConfig('plain', [envConfig('dev', { branch: 'master' })], REPOSITORY)], memoryStore);
    expect((await h.call('PUT', '/api/apps/plain/previews', { principal: admin, body: { enabled: true } })).status).toBe(409);
    expect((await deliver(pullRequest('opened', 11))).body.ignored).toEqual(['plain: previews are not configured']);
  });

  test('a pull request into a branch no environment tracks, and other actions, change nothing', async () => {
    const other = pullRequest('opened', 13);
    other.pull_request.base.ref = 'release';
    expect((await deliver(other)).body.ignored.join(' ')).toMatch(/no environment tracks branch 'release'/);
    expect((await deliver(pullRequest('labeled', 13))).body.ignored).toEqual(["pull request action 'labeled' changes no preview"]);
    expect(await h.store.config.getEnvironment('shop', 'pr-13')).toBeUndefined();
  });
});
