import { GatedTaskRunner, gate } from './support/gated-task-runner';
import { settled } from './support/settled';
import { DeploymentScheduler, Store } from '../../src/runtime/core';
import { finalizeTask } from '../../src/runtime/deployments/finalize';
import { launchQueued } from '../../src/runtime/deployments/launch';
import { taskArn } from '../deployments/fake-task-runner';
import { appConfig, envConfig, steppingClock } from '../store/fixtures';
import { eventually } from '../support/eventually';
import { freshStore } from '../support/test-table';

/**
 * The AWS side of "a restart finishes what was waiting": a launcher or finalizer that died
 * leaves its deployment stranded (marked running, no task); what waits behind it is not lost.
 * Once the stranded one is resolved (its redelivered launch starts it, or fails it), the
 * newest waiting deployment is launched by that same invocation, without a new push.
 * Launcher and finalizer are the real ones, on DynamoDB Local; ECS is the recording fake.
 */

const COMMIT = (n: number) => n.toString(16).padStart(40, '0');

describe('waiting behind a deployment whose launcher or finalizer died', () => {
  let store: Store;
  let runner: GatedTaskRunner;
  let clock: ReturnType<typeof steppingClock>;
  const deps = () => ({ store, runner, clock });
  /** A launch or finalizer retry as AWS redelivers it: 2 minutes later, past the stranded bound. */
  const later = () => ({ ...deps(), clock: { now: () => new Date(clock.now().getTime() + 120_000) } });

  beforeEach(async () => {
    clock = steppingClock();
    ({ store } = await freshStore(clock));
    runner = new GatedTaskRunner();
    await store.config.syncApplications([appConfig('shop', [envConfig('dev')])]);
  });

  const queue = (n: number) => new DeploymentScheduler(store, clock).create({
    application: 'shop', environment: 'dev', action: 'deploy', commit: COMMIT(n), branch: 'main', trigger: { kind: 'push' },
  });

  test('the launcher died inside RunTask, two pushes arrived meanwhile, the redelivery\'s RunTask is refused: the holder fails, the older push is superseded, the newest is launched by that redelivery', async () => {
    const a = await queue(1);
    const hung = gate();
    runner.duringRun = request => (request.deploymentId === a.id ? hung.promise : Promise.resolve());
    void launchQueued(a.id, deps()).catch(() => undefined); // the invocation that dies (never answers)
    await eventually(`${a.id} to run`, async () => (await store.deployments.get(a.id))?.status === 'running', 10_000);
    const b = await queue(2);
    const c = await queue(3);
    expect(await launchQueued(b.id, deps())).toMatchObject({ outcome: 'waiting' });
    expect(await launchQueued(c.id, deps())).toMatchObject({ outcome: 'waiting' });
    expect(await store.deployments.get(b.id)).toMatchObject({ status: 'superseded' });
    expect(await settled(store, 'shop', 'dev')).toMatchObject({ lockHolder: a.id, pending: c.id });

    runner.duringRun = request => (request.deploymentId === a.id ? Promise.reject(new Error('ThrottlingException: Rate exceeded')) : Promise.resolve());
    const outcome = await launchQueued(a.id, later());
    expect(outcome).toMatchObject({ outcome: 'failed', deploymentId: a.id });
    expect(runner.runs.map(run => run.deploymentId)).toEqual([c.id]);
    expect(await store.deployments.get(c.id)).toMatchObject({ status: 'running', taskId: taskArn(c.id) });

    await finalizeTask({ deploymentId: c.id, taskId: taskArn(c.id), exitCode: 0 }, deps());
    const after = await settled(store, 'shop', 'dev');
    expect(after).toMatchObject({ unfinished: [], lockHolder: undefined, pending: undefined, currentDeploymentId: c.id });
    expect(after.deployments.map(d => [d.id, d.status])).toEqual([[a.id, 'failed'], [b.id, 'superseded'], [c.id, 'succeeded']]);
  });

  test('the finalizer died after handing the lock to the waiting one and marking it running: its retry launches it once, and the one queued after it waits, then runs', async () => {
    const a = await queue(1);
    await launchQueued(a.id, deps());
    const b = await queue(2);
    expect(await launchQueued(b.id, deps())).toMatchObject({ outcome: 'waiting' });
    // The finalizer of a hands the lock to b and marks it running, then dies inside RunTask.
    const hung = gate();
    runner.duringRun = request => (request.deploymentId === b.id ? hung.promise : Promise.resolve());
    runner.stopped(a.id);
    void finalizeTask({ deploymentId: a.id, taskId: taskArn(a.id), exitCode: 0 }, deps()).catch(() => undefined);
    await eventually(`${b.id} to run`, async () => (await store.deployments.get(b.id))?.status === 'running', 10_000);
    // A push arrives while b is stranded: it waits behind it.
    const c = await queue(3);
    expect(await launchQueued(c.id, deps())).toMatchObject({ outcome: 'waiting' });
    expect(await settled(store, 'shop', 'dev')).toMatchObject({ lockHolder: b.id, pending: c.id });

    runner.duringRun = undefined;
    const retried = await finalizeTask({ deploymentId: a.id, taskId: taskArn(a.id), exitCode: 0 }, later());
    expect(retried).toMatchObject({ outcome: 'already-final', next: { outcome: 'started', deploymentId: b.id } });
    expect(runner.runs.map(run => run.deploymentId)).toEqual([a.id, b.id]);

    // b ends: c, which waited the whole time, is launched by b's finalizer.
    runner.stopped(b.id);
    expect((await finalizeTask({ deploymentId: b.id, taskId: taskArn(b.id), exitCode: 0 }, deps())).next).toMatchObject({ outcome: 'started', deploymentId: c.id });
    await finalizeTask({ deploymentId: c.id, taskId: taskArn(c.id), exitCode: 0 }, deps());
    const after = await settled(store, 'shop', 'dev');
    expect(after).toMatchObject({ unfinished: [], lockHolder: undefined, currentDeploymentId: c.id });
    expect(after.deployments.map(d => d.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    hung.open();
  });
});
