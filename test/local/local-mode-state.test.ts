import { observeDeployments } from '../../src/local/deployment-events';
import { INTERRUPTED_REASON, failInterrupted } from '../../src/local/interrupted';
import { deploymentLine } from '../../src/local/terminal-lines';
import { Deployment, DeploymentScheduler, Store } from '../../src/runtime/core';
import { IllegalTransitionError } from '../../src/runtime/core/errors';
import { appConfig, depId, envConfig, queuedDeployment } from '../store/fixtures';
import { freshStore } from '../support/test-table';

/** What local mode adds around the store: a line per state change, and ending what a killed run left unfinished. */
describe('local mode state', () => {
  let store: Store;

  beforeEach(async () => {
    ({ store } = await freshStore());
    await store.config.syncApplications([appConfig('shop', [envConfig('dev', { branch: 'main' }), envConfig('staging')])]);
  });

  test('every recorded deployment and status change is told once written; a refused change is not', async () => {
    const told: Array<[string, string]> = [];
    const observed = observeDeployments(store, deployment => told.push([deployment.id, deployment.status]));
    const scheduler = new DeploymentScheduler(observed);
    const { deployment } = await scheduler.request({ application: 'shop', environment: 'dev', action: 'deploy', commit: 'b'.repeat(40), trigger: { kind: 'manual', actor: 'ada' } });
    await observed.deployments.transition(deployment.id, 'running');
    await scheduler.complete(deployment.id, 'succeeded');
    await expect(observed.deployments.transition(deployment.id, 'failed')).rejects.toBeInstanceOf(IllegalTransitionError);
    expect(told).toEqual([[deployment.id, 'queued'], [deployment.id, 'running'], [deployment.id, 'succeeded']]);
    expect((await store.config.getEnvironment('shop', 'dev'))?.currentDeploymentId).toBe(deployment.id);
  });

  test('a listener that throws never fails the write', async () => {
    const observed = observeDeployments(store, () => { throw new Error('terminal closed'); });
    await observed.deployments.create(queuedDeployment(depId(1), 'shop', 'dev'));
    expect((await store.deployments.get(depId(1)))?.status).toBe('queued');
  });

  test('at start, the running holder, the waiting and the never-launched deployments are failed with the reason; the lock is free again', async () => {
    const running = queuedDeployment(depId(1), 'shop', 'dev');
    const waiting = queuedDeployment(depId(2), 'shop', 'dev');
    const lost = queuedDeployment(depId(3), 'shop', 'staging'); // recorded, but the in-process queue died with the run
    for (const deployment of [running, waiting, lost]) await store.deployments.create(deployment);
    expect((await store.deployments.claimEnvironment('shop', 'dev', running.id)).outcome).toBe('acquired');
    expect((await store.deployments.claimEnvironment('shop', 'dev', waiting.id)).outcome).toBe('waiting');
    await store.deployments.transition(running.id, 'running');
    const { deployment: finished } = await new DeploymentScheduler(store).request({ application: 'shop', environment: 'staging', action: 'deploy', commit: 'c'.repeat(40), trigger: { kind: 'manual' } });
    await new DeploymentScheduler(store).complete(finished.id, 'cancelled');

    const failed = await failInterrupted(store);
    expect(failed.map(deployment => deployment.id).sort()).toEqual([running.id, waiting.id, lost.id]);
    for (const id of [running.id, waiting.id, lost.id]) {
      expect(await store.deployments.get(id)).toMatchObject({ status: 'failed', reason: INTERRUPTED_REASON });
    }
    expect((await store.deployments.get(finished.id))?.status).toBe('cancelled');
    const fresh = queuedDeployment(depId(4), 'shop', 'dev');
    await store.deployments.create(fresh);
    expect((await store.deployments.claimEnvironment('shop', 'dev', fresh.id)).outcome).toBe('acquired');
  });
});

describe('terminal lines', () => {
  const base: Deployment = {
    ...queuedDeployment(depId(7), 'shop', 'dev', { commit: '0123456789abcdef'.repeat(2) + '01234567', commitMessage: 'Cheaper shipping' }),
    updatedAt: '2026-11-23T17:40:02.000Z',
  };

  test('one line per state, with what a person needs at that state', () => {
    expect(deploymentLine(base, 'http://127.0.0.1:4100')).toBe(
      '17:40:02  shop/dev                 queued     deploy 0123456  push by octocat "Cheaper shipping"');
    expect(deploymentLine({ ...base, status: 'running' }, 'http://127.0.0.1:4100'))
      .toContain(`http://127.0.0.1:4100/#/deployments/${depId(7)}`);
    expect(deploymentLine({ ...base, status: 'succeeded', startedAt: '2026-11-23T17:40:02.000Z', finishedAt: '2026-11-23T17:40:09.250Z' }, ''))
      .toMatch(/succeeded\s+deploy 0123456 {2}in 7\.3 s$/);
    expect(deploymentLine({ ...base, status: 'failed', reason: 'the builder exited with code 1' }, ''))
      .toMatch(/failed\s+deploy 0123456 {2}the builder exited with code 1$/);
  });
});
