import { observeDeployments } from '../../src/local/deployment-events';
import { INTERRUPTED_REASON, resumeInterrupted } from '../../src/local/interrupted';
import { deploymentLine } from '../../src/local/terminal-lines';
import { Deployment, DeploymentScheduler, Store } from '../../src/runtime/core';
import { IllegalTransitionError } from '../../src/runtime/core/errors';
import { formatPhaseMarker } from '../../src/runtime/core/phase-markers';
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

  test('at start: the running holder failed with the reason and its open phases ended failed; the newest waiting one re-queued, an older one superseded', async () => {
    const running = queuedDeployment(depId(1), 'shop', 'dev');
    const older = queuedDeployment(depId(2), 'shop', 'dev'); // recorded, but the in-process queue died with the run
    const waiting = queuedDeployment(depId(3), 'shop', 'dev');
    const lost = queuedDeployment(depId(4), 'shop', 'staging');
    for (const deployment of [running, older, waiting, lost]) await store.deployments.create(deployment);
    expect((await store.deployments.claimEnvironment('shop', 'dev', running.id)).outcome).toBe('acquired');
    expect((await store.deployments.claimEnvironment('shop', 'dev', waiting.id)).outcome).toBe('waiting');
    await store.deployments.transition(running.id, 'running');
    const at = '2026-01-01T00:00:00.000Z';
    await store.logs.ingest(running.id, [
      { seq: 0, at, stream: 'system', text: formatPhaseMarker({ phase: 'prepare', event: 'end', at, outcome: 'succeeded', durationMs: 5 }) },
      { seq: 1, at, stream: 'system', text: formatPhaseMarker({ phase: 'deploy', event: 'start', at }) },
      { seq: 2, at, stream: 'stdout', text: 'Deploying...' },
    ]);
    expect((await store.deployments.get(running.id))?.phases?.map(phase => phase.outcome)).toEqual(['succeeded', 'running']);
    const { deployment: finished } = await new DeploymentScheduler(store).request({ application: 'shop', environment: 'staging', action: 'deploy', commit: 'c'.repeat(40), trigger: { kind: 'manual' } });
    await new DeploymentScheduler(store).complete(finished.id, 'cancelled');

    const resumed = await resumeInterrupted(store);
    expect(resumed.failed.map(deployment => deployment.id)).toEqual([running.id]);
    expect(await store.deployments.get(running.id)).toMatchObject({ status: 'failed', reason: INTERRUPTED_REASON });
    const phases = (await store.deployments.get(running.id))!.phases!;
    expect(phases.find(phase => phase.phase === 'deploy')).toMatchObject({ outcome: 'failed', detail: INTERRUPTED_REASON });
    expect(phases.filter(phase => phase.outcome === 'running')).toEqual([]);
    expect((await store.logs.read(running.id)).records.map(record => record.seq)).toEqual([0, 1, 2, 3]);
    expect(await store.deployments.get(older.id)).toMatchObject({ status: 'superseded', reason: `superseded by ${waiting.id}` });
    expect(resumed.requeue.sort()).toEqual([waiting.id, lost.id].sort());
    for (const id of [waiting.id, lost.id]) expect((await store.deployments.get(id))?.status).toBe('queued');
    expect((await store.deployments.get(finished.id))?.status).toBe('cancelled');
    // The lock passed to the waiting one (its re-queued launch finds itself the holder); staging is free.
    expect((await store.deployments.claimEnvironment('shop', 'dev', waiting.id)).outcome).toBe('acquired');
    expect((await store.deployments.claimEnvironment('shop', 'staging', lost.id)).outcome).toBe('acquired');
  });

  test('at start, a lock still held by a deployment that already ended (cancelled, its build died with the run) is released', async () => {
    const cancelled = queuedDeployment(depId(1), 'shop', 'dev');
    await store.deployments.create(cancelled);
    expect((await store.deployments.claimEnvironment('shop', 'dev', cancelled.id)).outcome).toBe('acquired');
    await store.deployments.transition(cancelled.id, 'running');
    await store.deployments.transition(cancelled.id, 'cancelled', { reason: 'cancelled by ada' });
    expect(await resumeInterrupted(store)).toEqual({ failed: [], superseded: [], requeue: [] });
    expect((await store.config.getEnvironment('shop', 'dev'))?.lockHolder).toBeUndefined();
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

  test("a commit message, actor or reason cannot drive the terminal: others' text, cleaned to one line", () => {
    const hostile = { ...base, commitMessage: 'Fix\u001b]0;owned\u0007 \u001b[2Jit\nrm -rf', trigger: { kind: 'push' as const, actor: 'eve\u001b[31m' } };
    expect(deploymentLine(hostile, '')).toBe('17:40:02  shop/dev                 queued     deploy 0123456  push by eve "Fix it rm -rf"');
    const failed = deploymentLine({ ...base, status: 'failed', reason: 'boom\r\u001b[1Aok' }, '');
    expect(failed).toMatch(/failed\s+deploy 0123456 {2}boom ok$/);
  });
});
