import { FakeTaskRunner, taskArn } from './fake-task-runner';
import { Clock, Deployment, DeploymentScheduler, Store } from '../../src/runtime/core';
import { cancelDeployment } from '../../src/runtime/deployments/cancel';
import { finalizeTask } from '../../src/runtime/deployments/finalize';
import { launchQueued } from '../../src/runtime/deployments/launch';
import { appConfig, configuredStore, envConfig } from '../store/fixtures';

const COMMIT = (n: number) => n.toString(16).padStart(40, '0');

describe('launcher and finalizer (DynamoDB Local, fake ECS)', () => {
  let store: Store;
  let runner: FakeTaskRunner;
  let clock: Clock;
  const deps = () => ({ store, runner, clock });

  beforeEach(async () => {
    ({ store, clock } = await configuredStore([appConfig('shop', [envConfig('dev', { branch: 'main', autoDeploy: true }), envConfig('staging')])]));
    runner = new FakeTaskRunner();
  });

  async function queue(n: number, environment = 'dev') {
    return new DeploymentScheduler(store, clock).create({
      application: 'shop', environment, action: 'deploy', commit: COMMIT(n), branch: 'main', trigger: { kind: 'push' },
    });
  }

  async function stop(deploymentId: string, exitCode?: number, stopReason?: string) {
    runner.stopped(deploymentId);
    return finalizeTask({ deploymentId, taskId: taskArn(deploymentId), exitCode, stopReason }, deps());
  }

  test('a queued deployment is started with only non-secret parameters and recorded as running', async () => {
    const d = await queue(1);
    const outcome = await launchQueued(d.id, deps());
    expect(outcome).toEqual({ outcome: 'started', deploymentId: d.id, taskId: taskArn(d.id) });
    expect(runner.runs).toEqual([{
      deploymentId: d.id, action: 'deploy', application: 'shop', environment: 'dev', commit: COMMIT(1), ingestToken: expect.stringMatching(/^[\w-]{43}$/),
    }]);
    const stored = await store.deployments.get(d.id);
    expect(stored).toMatchObject({ status: 'running', taskId: taskArn(d.id) });
    expect(stored!.startedAt).toBeDefined();
  });

  test('20 concurrent requests for one environment: one task, the newest starts after it, the rest superseded', async () => {
    const deployments = [];
    for (let n = 0; n < 20; n++) deployments.push(await queue(n));
    const outcomes = await Promise.all(deployments.map(d => launchQueued(d.id, deps())));
    expect(outcomes.filter(o => o.outcome === 'started')).toHaveLength(1);
    expect(runner.runs).toHaveLength(1);
    const first = runner.runs[0].deploymentId;
    const newest = deployments[19].id;

    // The first build ends; the newest waiting one starts, nothing else ever does.
    const finalized = await stop(first, 0);
    expect(finalized).toMatchObject({ outcome: 'finalized', status: 'succeeded' });
    if (first === newest) {
      expect(finalized.next).toBeUndefined(); // the newest won the race: everything else is older
    } else {
      expect(finalized.next).toEqual({ outcome: 'started', deploymentId: newest, taskId: taskArn(newest) });
      await stop(newest, 0);
    }
    expect(runner.runs.map(r => r.deploymentId)).toEqual([...new Set([first, newest])]);
    expect(runner.maxActivePerEnvironment).toBe(1);

    const all = (await store.deployments.listByEnvironment('shop', 'dev', { limit: 50 })).items;
    const byStatus = (status: string) => all.filter(d => d.status === status).map(d => d.id).sort();
    expect(byStatus('succeeded')).toEqual([...new Set([first, newest])].sort());
    expect(byStatus('superseded')).toHaveLength(20 - new Set([first, newest]).size);
    expect(byStatus('queued')).toEqual([]);
    expect(byStatus('running')).toEqual([]);
    expect((await store.config.getEnvironment('shop', 'dev'))!.lockHolder).toBeUndefined();
  });

  test('a succeeded deploy becomes the current version; a failed one leaves it; a teardown clears it', async () => {
    const current = async () => {
      const env = await store.config.getEnvironment('shop', 'dev');
      return { deploymentId: env?.currentDeploymentId, commit: env?.currentCommit };
    };
    const good = await queue(1);
    await launchQueued(good.id, deps());
    await stop(good.id, 0);
    expect(await current()).toEqual({ deploymentId: good.id, commit: COMMIT(1) });

    const bad = await queue(2);
    await launchQueued(bad.id, deps());
    await stop(bad.id, 1);
    expect(await current()).toEqual({ deploymentId: good.id, commit: COMMIT(1) });

    // A version that succeeds while another waits becomes current in the same write that hands over the lock.
    const next = await queue(3);
    await launchQueued(next.id, deps());
    const waiting = await queue(4);
    await launchQueued(waiting.id, deps());
    expect((await stop(next.id, 0)).next).toMatchObject({ outcome: 'started', deploymentId: waiting.id });
    expect(await current()).toEqual({ deploymentId: next.id, commit: COMMIT(3) });
    await stop(waiting.id, 0);

    const teardown = await new DeploymentScheduler(store, clock).create({
      application: 'shop', environment: 'dev', action: 'teardown', commit: COMMIT(4), trigger: { kind: 'manual', actor: 'carol' },
    });
    await launchQueued(teardown.id, deps());
    await stop(teardown.id, 0);
    expect(await current()).toEqual({ deploymentId: undefined, commit: undefined });
  });

  test('exit code 1 → failed with the reason; exit 2 says the input was invalid', async () => {
    const a = await queue(1);
    await launchQueued(a.id, deps());
    expect(await stop(a.id, 1)).toMatchObject({ outcome: 'finalized', status: 'failed' });
    expect(await store.deployments.get(a.id)).toMatchObject({ status: 'failed', reason: 'the builder exited with code 1' });

    const b = await queue(2);
    await launchQueued(b.id, deps());
    await stop(b.id, 2);
    expect((await store.deployments.get(b.id))!.reason).toMatch(/code 2 \(invalid parameters or configuration\)/);
  });

  test('a task that never started (no exit code) → failed with the stop reason', async () => {
    const d = await queue(1);
    await launchQueued(d.id, deps());
    await stop(d.id, undefined, 'CannotPullContainerError: pull access denied');
    const stored = await store.deployments.get(d.id);
    expect(stored).toMatchObject({ status: 'failed' });
    expect(stored!.reason).toContain('CannotPullContainerError: pull access denied');
    expect(stored!.finishedAt).toBeDefined();
  });

  test('the same stop event twice changes nothing the second time', async () => {
    const a = await queue(1);
    await launchQueued(a.id, deps());
    const b = await queue(2);
    await launchQueued(b.id, deps()); // waits
    const first = await stop(a.id, 0);
    expect(first.next).toMatchObject({ outcome: 'started', deploymentId: b.id });
    const before = await store.deployments.get(a.id);

    const again = await stop(a.id, 1); // a late duplicate, even with another exit code
    expect(again).toEqual({ outcome: 'already-final', status: 'succeeded', next: undefined });
    expect(await store.deployments.get(a.id)).toEqual(before);
    expect(runner.runs.map(r => r.deploymentId)).toEqual([a.id, b.id]);
    expect((await store.config.getEnvironment('shop', 'dev'))!.lockHolder).toBe(b.id);
  });

  test('a copy that read the deployment still running, then lost the race, records the deployed version as it releases', async () => {
    const a = await queue(1);
    await launchQueued(a.id, deps());
    const stale = (await store.deployments.get(a.id))!;
    // The first copy wrote the end and has not released yet; the second copy read before that write.
    await store.deployments.transition(a.id, 'succeeded', { taskId: taskArn(a.id) });
    runner.stopped(a.id);
    const second = await finalizeTask({ deploymentId: a.id, taskId: taskArn(a.id), exitCode: 0 }, { ...deps(), store: readingOnce(store, stale) });
    expect(second).toEqual({ outcome: 'already-final', status: 'succeeded', next: undefined });
    const env = (await store.config.getEnvironment('shop', 'dev'))!;
    expect(env.lockHolder).toBeUndefined();
    expect(env).toMatchObject({ currentDeploymentId: a.id, currentCommit: COMMIT(1) });
  });

  test('RunTask failure → failed with the reason, lock released, the waiting deployment starts', async () => {
    const a = await queue(1);
    runner.failNext = 'ECS RunTask started no task (RESOURCE:ENI: no free IPs)';
    const outcome = await launchQueued(a.id, deps());
    expect(outcome).toMatchObject({ outcome: 'failed', deploymentId: a.id });
    expect(await store.deployments.get(a.id)).toMatchObject({ status: 'failed', reason: expect.stringContaining('RESOURCE:ENI: no free IPs') });
    expect((await store.config.getEnvironment('shop', 'dev'))!.lockHolder).toBeUndefined();

    // The environment is free again for the next request.
    const b = await queue(2);
    expect(await launchQueued(b.id, deps())).toMatchObject({ outcome: 'started' });
  });

  test('a launch failure passes the lock to the waiting deployment, which starts', async () => {
    const a = await queue(1);
    await launchQueued(a.id, deps());
    const b = await queue(2);
    await launchQueued(b.id, deps());
    runner.failNext = 'ThrottlingException: Rate exceeded';
    const finalized = await stop(a.id, 0);
    expect(finalized.next).toMatchObject({ outcome: 'failed', deploymentId: b.id });
    expect(await store.deployments.get(b.id)).toMatchObject({ status: 'failed', reason: expect.stringContaining('ThrottlingException') });
    expect((await store.config.getEnvironment('shop', 'dev'))!.lockHolder).toBeUndefined();
  });

  test('a repeated launch message starts nothing twice', async () => {
    const a = await queue(1);
    await Promise.all([launchQueued(a.id, deps()), launchQueued(a.id, deps()), launchQueued(a.id, deps())]);
    expect(runner.runs).toHaveLength(1);
    const b = await queue(2);
    expect(await launchQueued(b.id, deps())).toMatchObject({ outcome: 'waiting' });
    expect(await launchQueued(b.id, deps())).toMatchObject({ outcome: 'waiting' }); // not superseded by itself
    expect((await store.deployments.get(b.id))!.status).toBe('queued');
  });

  test('environments are independent', async () => {
    const dev = await queue(1, 'dev');
    const staging = await queue(2, 'staging');
    await Promise.all([launchQueued(dev.id, deps()), launchQueued(staging.id, deps())]);
    expect(runner.runs.map(r => r.environment).sort()).toEqual(['dev', 'staging']);
  });

  describe('cancel', () => {
    test('a running deployment ends cancelled, its task is stopped, and its stop event starts the next', async () => {
      const a = await queue(1);
      await launchQueued(a.id, deps());
      const b = await queue(2);
      await launchQueued(b.id, deps());
      const cancelled = await cancelDeployment(a.id, 'alice', deps());
      expect(cancelled).toMatchObject({ status: 'cancelled', reason: 'cancelled by alice' });
      expect(runner.stops).toEqual([{ taskId: taskArn(a.id), reason: 'cancelled by alice' }]);

      // ECS reports the stop (exit code 137 after SIGKILL): status stays cancelled, b starts.
      const finalized = await stop(a.id, 137);
      expect(finalized).toMatchObject({ outcome: 'already-final', status: 'cancelled', next: { outcome: 'started', deploymentId: b.id } });
      expect((await store.deployments.get(a.id))!.status).toBe('cancelled');
    });

    test('a waiting deployment is cancelled at once and skipped on hand-over', async () => {
      const a = await queue(1);
      await launchQueued(a.id, deps());
      const b = await queue(2);
      await launchQueued(b.id, deps());
      await cancelDeployment(b.id, 'bob', deps());
      const finalized = await stop(a.id, 0);
      expect(finalized.next).toBeUndefined();
      expect(runner.runs.map(r => r.deploymentId)).toEqual([a.id]);
      expect((await store.config.getEnvironment('shop', 'dev'))!.lockHolder).toBeUndefined();
    });

    test('cancelling a finished deployment changes nothing', async () => {
      const a = await queue(1);
      await launchQueued(a.id, deps());
      await stop(a.id, 0);
      expect(await cancelDeployment(a.id, 'carol', deps())).toMatchObject({ status: 'succeeded' });
      expect(runner.stops).toEqual([]);
    });
  });

  test('events for unknown or foreign tasks are ignored', async () => {
    expect(await finalizeTask({ deploymentId: 'not-an-id', taskId: 'x', exitCode: 0 }, deps())).toEqual({ outcome: 'ignored' });
    const a = await queue(1);
    await launchQueued(a.id, deps());
    expect(await finalizeTask({ deploymentId: a.id, taskId: 'arn:other-task', exitCode: 1 }, deps())).toEqual({ outcome: 'ignored' });
    expect((await store.deployments.get(a.id))!.status).toBe('running');
  });
});

/** The store, except that the first read of `stale`'s deployment answers with `stale`. */
function readingOnce(inner: Store, stale: Deployment): Store {
  let served = false;
  const deployments = new Proxy(inner.deployments, {
    get(target, property) {
      if (property === 'get') {
        return async (id: string) => {
          if (served || id !== stale.id) return target.get(id);
          served = true;
          return stale;
        };
      }
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { ...inner, deployments };
}
