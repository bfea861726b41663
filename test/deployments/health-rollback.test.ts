import { FakeTaskRunner, taskArn } from './fake-task-runner';
import { BUILDER_EXIT, Clock, Deployment, DeploymentScheduler, LogRecord, Store, TRELLIS_ACTOR, formatPhaseMarker } from '../../src/runtime/core';
import { finalizeTask } from '../../src/runtime/deployments/finalize';
import { BuildDependencies, launchQueued } from '../../src/runtime/deployments/launch';
import { FakeLaunchQueue } from '../api/fakes';
import { FaultyStore } from '../reliability/support/faulty-store';
import { appConfig, configuredStore, envConfig } from '../store/fixtures';
import { eventually } from '../support/eventually';

/**
 * A deployment that fails its health check (builder exit 3) ends failed with
 * the health phase's detail, and the environment goes back to its current version through an
 * automatic rollback — once, never for a first deploy, never for a failing rollback, never
 * over a newer waiting deployment. Launcher and finalizer on DynamoDB Local, fake ECS.
 */

const COMMIT = (n: number) => n.toString(16).padStart(40, '0');

const DETAIL = 'GET https://dev.example.com/health answered 500 on 4 attempts, expected 200–399';

describe('a failed health check rolls the environment back', () => {
  let store: Store;
  let runner: FakeTaskRunner;
  let clock: Clock;
  const deps = () => ({ store, runner, clock });

  beforeEach(async () => {
    ({ store, clock } = await configuredStore([appConfig('shop', [envConfig('dev', { branch: 'main', autoDeploy: true })])]));
    runner = new FakeTaskRunner();
  });

  async function queue(n: number) {
    return new DeploymentScheduler(store, clock).create({
      application: 'shop',
      environment: 'dev',
      action: 'deploy',
      commit: COMMIT(n),
      branch: 'main',
      repository: 'acme/shop',
      commitMessage: `Change ${n}`,
      author: 'alice',
      trigger: { kind: 'push', actor: 'alice' },
    });
  }

  /** Queue, launch and end a deployment with `exitCode`; returns it as stored. */
  async function deploy(n: number, exitCode: number): Promise<Deployment> {
    const d = await queue(n);
    expect(await launchQueued(d.id, deps())).toMatchObject({ outcome: 'started' });
    await stop(d.id, exitCode);
    return (await store.deployments.get(d.id))!;
  }

  async function stop(deploymentId: string, exitCode: number, extra: Partial<BuildDependencies> = {}) {
    if (exitCode === BUILDER_EXIT.unhealthy) await healthFailed(deploymentId);
    runner.stopped(deploymentId);
    return finalizeTask({ deploymentId, taskId: taskArn(deploymentId), exitCode }, { ...deps(), ...extra });
  }

  /** The builder's log as stored: deploy succeeded, then the health phase failed. */
  async function healthFailed(deploymentId: string) {
    const at = '2026-03-01T12:00:01.000Z';
    const markers = [
      { phase: 'deploy', event: 'start', at }, { phase: 'deploy', event: 'end', at, outcome: 'succeeded', durationMs: 5 },
      { phase: 'health', event: 'start', at }, { phase: 'health', event: 'end', at, outcome: 'failed', durationMs: 5, detail: DETAIL },
    ] as const;
    const records: LogRecord[] = markers.map((marker, seq) => ({ seq, at, stream: 'system', text: formatPhaseMarker(marker) }));
    await store.logs.ingest(deploymentId, records);
  }

  const environment = async () => (await store.config.getEnvironment('shop', 'dev'))!;
  const all = async () => (await store.deployments.listByEnvironment('shop', 'dev', { limit: 50 })).items;
  const autoRollbacks = async () => (await all()).filter(d => d.trigger.kind === 'auto-rollback');

  test('exit 3 → failed with the health detail; an automatic rollback to the current version starts, then becomes current', async () => {
    const good = await deploy(1, 0);
    const bad = await queue(2);
    await launchQueued(bad.id, deps());

    const finalized = await stop(bad.id, BUILDER_EXIT.unhealthy);
    expect(finalized).toMatchObject({ outcome: 'finalized', status: 'failed' });
    expect(await store.deployments.get(bad.id)).toMatchObject({
      status: 'failed',
      reason: `health check failed: ${DETAIL}; rolling back to ${good.id}`,
    });

    const [rollback] = await autoRollbacks();
    expect(finalized.rollback).toBe(rollback.id);
    expect(rollback).toMatchObject({
      action: 'rollback',
      commit: COMMIT(1),
      branch: 'main',
      repository: 'acme/shop',
      commitMessage: 'Change 1',
      author: 'alice',
      trigger: { kind: 'auto-rollback', actor: TRELLIS_ACTOR, sourceDeploymentId: good.id },
      status: 'running',
    });
    // Launched by this finalizer, in the same invocation, on the environment's lock.
    expect(finalized.next).toEqual({ outcome: 'started', deploymentId: rollback.id, taskId: taskArn(rollback.id) });
    expect(runner.runs.map(r => [r.deploymentId, r.action, r.commit])).toEqual([
      [good.id, 'deploy', COMMIT(1)], [bad.id, 'deploy', COMMIT(2)], [rollback.id, 'rollback', COMMIT(1)],
    ]);
    expect(await environment()).toMatchObject({ lockHolder: rollback.id, currentDeploymentId: good.id, currentCommit: COMMIT(1) });

    expect(await stop(rollback.id, 0)).toMatchObject({ outcome: 'finalized', status: 'succeeded', rollback: undefined });
    expect(await environment()).toMatchObject({ currentDeploymentId: rollback.id, currentCommit: COMMIT(1) });
    expect((await environment()).lockHolder).toBeUndefined();
    // In the history like any deployment, newest first.
    expect((await all()).map(d => [d.id, d.status])).toEqual([[rollback.id, 'succeeded'], [bad.id, 'failed'], [good.id, 'succeeded']]);
  });

  test('the first deploy of an environment: failed, nothing to roll back to', async () => {
    const bad = await queue(1);
    await launchQueued(bad.id, deps());
    const finalized = await stop(bad.id, BUILDER_EXIT.unhealthy);
    expect(finalized).toEqual({ outcome: 'finalized', status: 'failed', rollback: undefined, next: undefined });
    expect((await store.deployments.get(bad.id))!.reason).toBe(`health check failed: ${DETAIL}; nothing to roll back to: no earlier version succeeded here`);
    expect(await all()).toHaveLength(1);
    expect(runner.runs).toHaveLength(1);
    const env = await environment();
    expect([env.lockHolder, env.currentDeploymentId]).toEqual([undefined, undefined]);
  });

  test('an automatic rollback that fails its health check too: failed, and no further rollback', async () => {
    const good = await deploy(1, 0);
    await deploy(2, BUILDER_EXIT.unhealthy);
    const [rollback] = await autoRollbacks();
    expect((await store.deployments.get(rollback.id))!.status).toBe('running');

    const finalized = await stop(rollback.id, BUILDER_EXIT.unhealthy);
    expect(finalized).toEqual({ outcome: 'finalized', status: 'failed', rollback: undefined, next: undefined });
    expect((await store.deployments.get(rollback.id))!.reason).toBe(`health check failed: ${DETAIL}; not rolled back again: this was the automatic rollback`);
    expect(await autoRollbacks()).toHaveLength(1);
    expect(runner.runs).toHaveLength(3);
    const env = await environment();
    expect([env.lockHolder, env.currentDeploymentId]).toEqual([undefined, good.id]);
  });

  test('the same stop event five times at once: one terminal write, exactly one automatic rollback, started once', async () => {
    const good = await deploy(1, 0);
    const bad = await queue(2);
    await launchQueued(bad.id, deps());
    await healthFailed(bad.id);
    runner.stopped(bad.id);
    const results = await Promise.all(Array.from({ length: 5 }, () =>
      finalizeTask({ deploymentId: bad.id, taskId: taskArn(bad.id), exitCode: BUILDER_EXIT.unhealthy }, deps())));

    expect(results.filter(r => r.outcome === 'finalized')).toHaveLength(1);
    const rollbacks = await autoRollbacks();
    expect(rollbacks).toHaveLength(1);
    expect(results.flatMap(r => (r.rollback ? [r.rollback] : []))).toEqual([rollbacks[0].id]);
    expect(rollbacks[0]).toMatchObject({ commit: COMMIT(1), trigger: { sourceDeploymentId: good.id }, status: 'running' });
    expect(runner.runs.filter(r => r.deploymentId === rollbacks[0].id)).toHaveLength(1);
    expect((await store.deployments.get(bad.id))!.reason).toBe(`health check failed: ${DETAIL}; rolling back to ${good.id}`);

    // And once more, late: nothing new.
    expect(await finalizeTask({ deploymentId: bad.id, taskId: taskArn(bad.id), exitCode: BUILDER_EXIT.unhealthy }, deps()))
      .toEqual({ outcome: 'already-final', status: 'failed', next: undefined });
    expect(await all()).toHaveLength(3);
  });

  describe('the finalizer dies between the terminal write and asking for the rollback', () => {
    let faulty: FaultyStore;
    let good: Deployment;
    let bad: Deployment;
    const event = () => ({ deploymentId: bad.id, taskId: taskArn(bad.id), exitCode: BUILDER_EXIT.unhealthy });
    /** Lambda retries a failed event a minute or more after the failure. */
    const aMinuteLater = () => ({ ...deps(), clock: { now: () => new Date(clock.now().getTime() + 60_000) } });

    beforeEach(async () => {
      good = await deploy(1, 0);
      bad = await queue(2);
      await launchQueued(bad.id, deps());
      await healthFailed(bad.id);
      runner.stopped(bad.id);
      // The first copy writes `failed`, then hangs where it would record the rollback: the invocation dies there.
      faulty = new FaultyStore(store);
      faulty.holdNext('create', () => true, new Promise<void>(() => undefined));
      void finalizeTask(event(), { ...deps(), store: faulty.store });
      await eventually('the held create to be reached', () => faulty.injected.length === 1, 10_000);
      expect(await store.deployments.get(bad.id)).toMatchObject({ status: 'failed', reason: `health check failed: ${DETAIL}; rolling back to ${good.id}` });
      expect(await autoRollbacks()).toEqual([]);
    });

    test('the retry asks for it, once, and starts it on the lock', async () => {
      const retried = await finalizeTask(event(), aMinuteLater());
      const rollbacks = await autoRollbacks();
      expect(rollbacks).toHaveLength(1);
      expect(rollbacks[0]).toMatchObject({ commit: COMMIT(1), trigger: { kind: 'auto-rollback', sourceDeploymentId: good.id } });
      expect(retried).toEqual({
        outcome: 'already-final',
        status: 'failed',
        rollback: rollbacks[0].id,
        next: { outcome: 'started', deploymentId: rollbacks[0].id, taskId: taskArn(rollbacks[0].id) },
      });
      // A further retry: the failed deployment is no longer the newest, nothing is asked again.
      expect((await finalizeTask(event(), aMinuteLater())).rollback).toBeUndefined();
      expect(await autoRollbacks()).toHaveLength(1);
    });

    test('a copy sooner than a minute after the end leaves it to the first copy, which may be about to ask', async () => {
      expect(await finalizeTask(event(), deps())).toMatchObject({ outcome: 'already-final', rollback: undefined });
      expect(await autoRollbacks()).toEqual([]);
    });

    test('a push that arrived meanwhile replaces the bad version: the retry asks for no rollback, the push starts', async () => {
      const newer = await queue(3);
      expect(await launchQueued(newer.id, deps())).toMatchObject({ outcome: 'waiting' });
      const retried = await finalizeTask(event(), aMinuteLater());
      expect(retried).toMatchObject({ outcome: 'already-final', rollback: undefined, next: { outcome: 'started', deploymentId: newer.id } });
      expect(await autoRollbacks()).toEqual([]);
    });
  });

  test('a newer deployment already waiting replaces the bad version: no rollback, it starts', async () => {
    await deploy(1, 0);
    const bad = await queue(2);
    await launchQueued(bad.id, deps());
    const newer = await queue(3);
    expect(await launchQueued(newer.id, deps())).toMatchObject({ outcome: 'waiting' });

    const finalized = await stop(bad.id, BUILDER_EXIT.unhealthy);
    expect(finalized).toMatchObject({ outcome: 'finalized', status: 'failed', rollback: undefined, next: { outcome: 'started', deploymentId: newer.id } });
    expect((await store.deployments.get(bad.id))!.reason).toBe(`health check failed: ${DETAIL}; not rolled back: ${newer.id} is waiting to replace it`);
    expect(await autoRollbacks()).toEqual([]);
  });

  test('other failures do not roll back', async () => {
    const good = await deploy(1, 0);
    const failed = await deploy(2, BUILDER_EXIT.failed);
    expect(failed.reason).toBe('the builder exited with code 1');
    expect(await autoRollbacks()).toEqual([]);
    const env = await environment();
    expect([env.lockHolder, env.currentDeploymentId]).toEqual([undefined, good.id]);
  });

  test('with a launch queue, the rollback is submitted to it like the API\'s, and the launcher starts it', async () => {
    const good = await deploy(1, 0);
    const bad = await queue(2);
    await launchQueued(bad.id, deps());
    const launchQueue = new FakeLaunchQueue();
    const finalized = await stop(bad.id, BUILDER_EXIT.unhealthy, { queue: launchQueue });
    expect(launchQueue.sent).toEqual([{ deploymentId: finalized.rollback }]);
    expect(finalized.next).toBeUndefined(); // not claimed yet: the launcher does that
    expect(await store.deployments.get(finalized.rollback!)).toMatchObject({ status: 'queued', trigger: { kind: 'auto-rollback', sourceDeploymentId: good.id } });

    expect(await launchQueued(finalized.rollback!, deps())).toMatchObject({ outcome: 'started' });
    expect(runner.runs.map(r => r.commit)).toEqual([COMMIT(1), COMMIT(2), COMMIT(1)]);
  });

  test('a queue that refuses the rollback: it is recorded failed, and the lock is still released', async () => {
    await deploy(1, 0);
    const bad = await queue(2);
    await launchQueued(bad.id, deps());
    const launchQueue = new FakeLaunchQueue();
    launchQueue.failNext = 'SQS is down';
    const logged: Array<Record<string, unknown>> = [];
    const finalized = await stop(bad.id, BUILDER_EXIT.unhealthy, { queue: launchQueue, log: entry => logged.push(entry) });
    expect(finalized).toMatchObject({ outcome: 'finalized', status: 'failed', rollback: undefined });
    const [rollback] = await autoRollbacks();
    expect(rollback).toMatchObject({ status: 'failed', reason: 'the automatic rollback could not be handed to the launcher' });
    expect(logged).toContainEqual(expect.objectContaining({ message: 'automatic rollback could not be requested', failed: bad.id }));
    expect((await environment()).lockHolder).toBeUndefined();
  });
});
