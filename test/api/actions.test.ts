import { Harness, admin, apiHarness, deployer, sha } from './harness';
import { Deployment } from '../../src/runtime/core';
import { launchQueued } from '../../src/runtime/deployments/launch';
import { taskArn } from '../deployments/fake-task-runner';


/** A well-formed id that is not `id`: its last hex digit changed (always to a different one). */
function otherId(id: string): string {
  return id.replace(/.$/, last => (last === 'f' ? '0' : 'f'));
}

describe('control API actions', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await apiHarness();
    h.commits.push('acme/web', 'main', { sha: sha(9), message: 'Ship the login page', author: 'octocat' });
  });

  const post = (path: string, body?: unknown, principal = deployer) => h.call('POST', `/api/apps/web/environments/${path}`, { principal, body });

  describe('deploy', () => {
    test('queues the newest commit of the branch and hands it to the launcher', async () => {
      const response = await post('dev/deploy', {});
      expect(response.status).toBe(202);
      const deployment = response.json as Deployment;
      expect(deployment).toMatchObject({
        application: 'web',
        environment: 'dev',
        action: 'deploy',
        commit: sha(9),
        branch: 'main',
        repository: 'acme/web',
        commitMessage: 'Ship the login page',
        author: 'octocat',
        trigger: { kind: 'manual', actor: 'dora' },
        status: 'queued',
      });
      expect(h.commits.asked).toEqual([{ repository: 'acme/web', branch: 'main' }]);
      expect(h.queue.sent).toEqual([{ deploymentId: deployment.id }]);
      expect(await h.store.deployments.get(deployment.id)).toEqual(deployment);
      expect(h.logs).toContainEqual(expect.objectContaining({ message: 'deployment requested', deployment: deployment.id, actor: 'dora' }));

      // The launcher takes it from there, like a push.
      expect(await launchQueued(deployment.id, { store: h.store, runner: h.runner, clock: h.deps.clock })).toMatchObject({ outcome: 'started', taskId: taskArn(deployment.id) });
      expect(h.runner.runs).toEqual([expect.objectContaining({ deploymentId: deployment.id, action: 'deploy', commit: sha(9), environment: 'dev' })]);
    });

    test('an empty body is accepted as {}', async () => {
      expect((await post('dev/deploy')).status).toBe(202);
    });

    test('an environment without a branch: 400; a branch GitHub does not know: 404', async () => {
      expect(await post('staging/deploy', {})).toMatchObject({
        status: 400,
        json: { error: 'invalid_input', reason: 'branch: web/staging tracks no branch: promote to it, name a branch or commit, or set a branch in its settings' },
      });
      await h.call('PUT', '/api/apps/web/environments/staging/settings', { principal: admin, body: { branch: 'release/2' } });
      const missing = await post('staging/deploy', {});
      expect(missing).toMatchObject({ status: 404, json: { error: 'not_found', reason: "branch 'release/2' of acme/web was not found on GitHub" } });
      expect(h.queue.sent).toEqual([]);
      expect((await h.store.deployments.listByEnvironment('web', 'staging')).items).toEqual([]);
    });

    test('a deployment the queue refused ends failed (no launcher would ever see it): 500', async () => {
      h.queue.failNext = 'SQS is down';
      const response = await post('dev/deploy', {});
      expect(response).toMatchObject({ status: 500, json: { error: 'internal_error' } });
      const [stored] = (await h.store.deployments.listByEnvironment('web', 'dev')).items;
      expect(stored).toMatchObject({ status: 'failed', reason: 'could not be handed to the launcher; try again' });
      expect(h.logs).toContainEqual(expect.objectContaining({ message: 'deployment could not be enqueued', deployment: stored.id, error: 'SQS is down' }));
    });

    test('unknown application or environment: 404', async () => {
      expect((await h.call('POST', '/api/apps/nope/environments/dev/deploy', { principal: admin })).json).toEqual({ error: 'not_found', reason: 'application nope does not exist' });
      expect((await post('qa/deploy', {}, admin)).json).toEqual({ error: 'not_found', reason: 'environment web/qa does not exist' });
    });
  });

  describe('promote', () => {
    test("the environment's current version goes to the next environment", async () => {
      const current = await h.finished('web', 'dev', 'succeeded', { commit: sha(4), commitMessage: 'Tested on dev', author: 'hubot' });
      await h.setCurrent('web', 'dev', current);

      const response = await post('dev/promote', {});
      expect(response.status).toBe(202);
      expect(response.json).toMatchObject({
        application: 'web',
        environment: 'staging',
        action: 'promote',
        commit: sha(4),
        branch: 'main',
        repository: 'acme/web',
        commitMessage: 'Tested on dev',
        author: 'hubot',
        trigger: { kind: 'promotion', actor: 'dora', sourceDeploymentId: current.id },
        status: 'queued',
      });
      expect(h.queue.sent).toEqual([{ deploymentId: response.json.id }]);
    });

    test('a deployment that ended but has not yet released the lock counts as current (the finalizer writes twice)', async () => {
      const older = await h.finished('web', 'dev', 'succeeded', { commit: sha(3) });
      await h.setCurrent('web', 'dev', older);
      const newer = await h.finished('web', 'dev', 'succeeded', { commit: sha(5) });
      await h.holdLock('web', 'dev', newer);

      const response = await post('dev/promote', {});
      expect(response.json).toMatchObject({ commit: sha(5), trigger: { sourceDeploymentId: newer.id } });

      // A failed holder leaves the current version as it was; a teardown leaves nothing to promote.
      const failed = await h.finished('web', 'dev', 'failed', { commit: sha(6) });
      await h.holdLock('web', 'dev', failed);
      expect((await post('dev/promote', {})).json).toMatchObject({ commit: sha(3), trigger: { sourceDeploymentId: older.id } });
      const teardown = await h.finished('web', 'dev', 'succeeded', { action: 'teardown' });
      await h.holdLock('web', 'dev', teardown);
      expect(await post('dev/promote', {})).toMatchObject({ status: 409, json: { reason: 'web/dev has no deployed version to promote yet' } });
    });

    test('nothing deployed yet, or no next environment: 409', async () => {
      expect(await post('dev/promote', {})).toMatchObject({ status: 409, json: { error: 'conflict', reason: 'web/dev has no deployed version to promote yet' } });
      expect(await post('prod/promote', {}, admin)).toMatchObject({ status: 409, json: { reason: 'web/prod is the last environment: there is nothing to promote to' } });
      expect(h.queue.sent).toEqual([]);
    });
  });

  describe('rollback', () => {
    let older: Deployment;
    let current: Deployment;

    beforeEach(async () => {
      older = await h.finished('web', 'dev', 'succeeded', { commit: sha(1), commitMessage: 'The good one' });
      current = await h.finished('web', 'dev', 'succeeded', { commit: sha(2) });
      await h.setCurrent('web', 'dev', current);
    });

    test('redeploys the commit of an earlier succeeded deployment', async () => {
      const response = await post('dev/rollback', { deploymentId: older.id });
      expect(response.status).toBe(202);
      expect(response.json).toMatchObject({
        environment: 'dev',
        action: 'rollback',
        commit: sha(1),
        commitMessage: 'The good one',
        trigger: { kind: 'rollback', actor: 'dora', sourceDeploymentId: older.id },
      });
      expect(h.queue.sent).toEqual([{ deploymentId: response.json.id }]);
    });

    test('only a succeeded deployment of this environment, not the current version', async () => {
      const failed = await h.finished('web', 'dev', 'failed', { commit: sha(3) });
      const elsewhere = await h.finished('web', 'staging', 'succeeded', { commit: sha(5) });
      const teardown = await h.finished('web', 'dev', 'succeeded', { commit: sha(6), action: 'teardown' });
      const reason = async (deploymentId: unknown) => {
        const response = await post('dev/rollback', { deploymentId });
        expect(response.status).toBe(400);
        return response.json.reason;
      };
      expect(await reason(failed.id)).toBe('deploymentId: is failed; only a succeeded deployment can be rolled back to');
      expect(await reason(elsewhere.id)).toBe('deploymentId: is not a deployment of web/dev');
      expect(await reason(teardown.id)).toBe('deploymentId: is a teardown, not a version to roll back to');
      expect(await reason(current.id)).toBe(`deploymentId: deployed commit ${sha(2).slice(0, 12)}, which is the current version already`);
      expect(await reason('yesterday')).toBe('deploymentId: is not a deployment id');
      expect(await reason(42)).toBe('deploymentId: must be a non-empty string');
      expect((await post('dev/rollback', {})).json.reason).toBe('deploymentId: is required');
      const unknown = await post('dev/rollback', { deploymentId: otherId(older.id) });
      expect(unknown).toMatchObject({ status: 404, json: { error: 'not_found' } });
      expect(h.queue.sent).toEqual([]);
    });
  });

  describe('teardown', () => {
    test('the name typed again; removes with the deployed version', async () => {
      const current = await h.finished('web', 'dev', 'succeeded', { commit: sha(7) });
      await h.setCurrent('web', 'dev', current);
      const response = await post('dev/teardown', { confirm: 'dev' });
      expect(response.status).toBe(202);
      expect(response.json).toMatchObject({ environment: 'dev', action: 'teardown', commit: sha(7), trigger: { kind: 'manual', actor: 'dora' } });
      expect(h.commits.asked).toEqual([]);
    });

    test("without a deployed version: the branch's newest commit; with neither: 409", async () => {
      expect((await post('dev/teardown', { confirm: 'dev' })).json).toMatchObject({ action: 'teardown', commit: sha(9), branch: 'main' });
      expect(await post('staging/teardown', { confirm: 'staging' })).toMatchObject({
        status: 409,
        json: { reason: 'web/staging has no deployed version and tracks no branch: there is no code to tear it down with' },
      });
    });

    test('a wrong or missing confirmation: 400 naming confirm', async () => {
      expect((await post('dev/teardown', { confirm: 'prod' })).json).toEqual({
        error: 'invalid_input',
        reason: "confirm: must be the environment's name ('dev'), typed again: a teardown removes everything deployed there",
      });
      expect((await post('dev/teardown', {})).json.reason).toBe('confirm: is required');
      expect((await post('dev/teardown')).json.reason).toBe('confirm: is required');
      expect(h.queue.sent).toEqual([]);
    });
  });

  describe('cancel', () => {
    test('a queued deployment ends cancelled; cancelling again changes nothing', async () => {
      const { json: queued } = await post('dev/deploy', {});
      const response = await h.call('POST', `/api/deployments/${queued.id}/cancel`, { principal: deployer });
      expect(response.status).toBe(200);
      expect(response.json).toMatchObject({ id: queued.id, status: 'cancelled', reason: 'cancelled by dora' });
      const again = await h.call('POST', `/api/deployments/${queued.id}/cancel`, { principal: deployer, body: {} });
      expect(again.json).toEqual(response.json);
      // The launcher skips it.
      expect(await launchQueued(queued.id, { store: h.store, runner: h.runner })).toMatchObject({ outcome: 'skipped' });
    });

    test('a running deployment is cancelled and its task stopped', async () => {
      const { json: queued } = await post('dev/deploy', {});
      await launchQueued(queued.id, { store: h.store, runner: h.runner, clock: h.deps.clock });
      const response = await h.call('POST', `/api/deployments/${queued.id}/cancel`, { principal: deployer });
      expect(response.json).toMatchObject({ status: 'cancelled', taskId: taskArn(queued.id) });
      expect(h.runner.stops).toEqual([{ taskId: taskArn(queued.id), reason: 'cancelled by dora' }]);
    });

    test('the lock holder cancelled while queued passes the lock to the waiting deployment, which goes to the launcher', async () => {
      const { json: first } = await post('dev/deploy', {});
      const { json: second } = await post('dev/deploy', {});
      // Claimed in order, but neither started yet: the first holds the lock, the second waits.
      await h.store.deployments.claimEnvironment('web', 'dev', first.id);
      await h.store.deployments.claimEnvironment('web', 'dev', second.id);
      const sentBefore = h.queue.sent.length;
      await h.call('POST', `/api/deployments/${first.id}/cancel`, { principal: deployer });
      // The API starts no build (it may not RunTask): the launch queue gets the new holder.
      expect(h.runner.runs).toEqual([]);
      expect(h.queue.sent.slice(sentBefore)).toEqual([{ deploymentId: second.id }]);
      expect(await launchQueued(second.id, { store: h.store, runner: h.runner, clock: h.deps.clock })).toMatchObject({ outcome: 'started' });
      expect(h.runner.runs.map(run => run.deploymentId)).toEqual([second.id]);
    });

    test('unknown deployment: 404; malformed id: 400; unknown body fields: 400', async () => {
      const { json: queued } = await post('dev/deploy', {});
      expect((await h.call('POST', `/api/deployments/${otherId(queued.id)}/cancel`, { principal: deployer })).status).toBe(404);
      expect((await h.call('POST', '/api/deployments/latest/cancel', { principal: deployer })).json).toEqual({ error: 'invalid_input', reason: "id: 'latest' is not a deployment id" });
      expect((await h.call('POST', `/api/deployments/${queued.id}/cancel`, { principal: deployer, body: { force: true } })).json)
        .toEqual({ error: 'invalid_input', reason: 'force: is not a known field; this request takes an empty object' });
    });
  });
});
