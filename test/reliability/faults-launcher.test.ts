import { FaultyStore } from './support/faulty-store';
import { GatedTaskRunner, gate } from './support/gated-task-runner';
import { settled } from './support/settled';
import { DeploymentScheduler, Store } from '../../src/runtime/core';
import { cancelDeployment } from '../../src/runtime/deployments/cancel';
import { finalizeTask } from '../../src/runtime/deployments/finalize';
import { LaunchInProgressError, launchQueued } from '../../src/runtime/deployments/launch';
import { taskArn } from '../deployments/fake-task-runner';
import { appConfig, envConfig, steppingClock } from '../store/fixtures';
import { eventually } from '../support/eventually';
import { freshStore } from '../support/test-table';

/**
 * Faults on the AWS path: the launcher fails after it took the environment lock
 * (RunTask refuses or throws once the deployment is marked running; the table is unreachable
 * between two of its writes). Launcher and finalizer are the real ones, on DynamoDB Local;
 * ECS is the recording fake. After each fault: every deployment ends terminal, the lock is
 * free or held by the one deployment that runs, and every request is in the history.
 */

const COMMIT = (n: number) => n.toString(16).padStart(40, '0');

describe('faults: the launcher fails after the lock was taken', () => {
  let real: Store;
  let faulty: FaultyStore;
  let runner: GatedTaskRunner;
  let clock: ReturnType<typeof steppingClock>;
  const deps = () => ({ store: faulty.store, runner, clock });
  /** A launch as SQS redelivers it: 2 minutes (the visibility timeout) after the first. */
  const redelivered = () => ({ ...deps(), clock: { now: () => new Date(clock.now().getTime() + 120_000) } });

  beforeEach(async () => {
    clock = steppingClock();
    ({ store: real } = await freshStore(clock));
    faulty = new FaultyStore(real);
    runner = new GatedTaskRunner();
    await real.config.syncApplications([appConfig('shop', [envConfig('dev')])]);
  });

  const queue = (n: number) => new DeploymentScheduler(real, clock).create({
    application: 'shop', environment: 'dev', action: 'deploy', commit: COMMIT(n), branch: 'main', trigger: { kind: 'push' },
  });
  const taskOf = async (id: string) => {
    const deployment = await real.deployments.get(id);
    return { status: deployment?.status, taskId: deployment?.taskId };
  };
  const stop = (deploymentId: string, exitCode?: number) => {
    runner.stopped(deploymentId);
    return finalizeTask({ deploymentId, taskId: taskArn(deploymentId), exitCode }, deps());
  };

  test('RunTask throws while a newer request waits: failed with the reason, the waiting one starts in the same invocation', async () => {
    const a = await queue(1);
    const held = gate();
    runner.duringRun = request => (request.deploymentId === a.id ? held.promise : Promise.resolve());
    const launching = launchQueued(a.id, deps());
    // a holds the lock and is marked running while RunTask is in flight; b arrives meanwhile.
    await eventually(`${a.id} to run`, async () => (await real.deployments.get(a.id))?.status === 'running', 10_000);
    const b = await queue(2);
    expect(await launchQueued(b.id, deps())).toMatchObject({ outcome: 'waiting' });
    held.fail(new Error('AccessDeniedException: not authorized to perform ecs:RunTask'));

    expect(await launching).toMatchObject({ outcome: 'failed', deploymentId: a.id });
    const failed = await real.deployments.get(a.id);
    expect(failed).toMatchObject({ status: 'failed', reason: 'the build could not be started: AccessDeniedException: not authorized to perform ecs:RunTask' });
    expect(failed!.startedAt).toBeDefined();
    expect(failed!.finishedAt).toBeDefined();
    expect(runner.runs.map(r => r.deploymentId)).toEqual([b.id]);
    expect(await settled(real, 'shop', 'dev')).toMatchObject({ lockHolder: b.id, pending: undefined });

    await stop(b.id, 0);
    const after = await settled(real, 'shop', 'dev');
    expect(after).toMatchObject({ unfinished: [], lockHolder: undefined, currentDeploymentId: b.id });
    expect(after.deployments.map(d => [d.id, d.status])).toEqual([[a.id, 'failed'], [b.id, 'succeeded']]);
  });

  test('RunTask fails for a chain of waiting deployments: each ends failed and the lock ends free', async () => {
    const a = await queue(1);
    await launchQueued(a.id, deps());
    const b = await queue(2);
    await launchQueued(b.id, deps());
    runner.duringRun = async () => { throw new Error('ThrottlingException: Rate exceeded'); };
    const finalized = await stop(a.id, 0);
    expect(finalized.next).toMatchObject({ outcome: 'failed', deploymentId: b.id });
    runner.duringRun = undefined;

    const after = await settled(real, 'shop', 'dev');
    expect(after).toMatchObject({ unfinished: [], lockHolder: undefined, pending: undefined });
    expect(after.deployments.map(d => d.status)).toEqual(['succeeded', 'failed']);
    // The next request is not blocked by the failed ones.
    const c = await queue(3);
    expect(await launchQueued(c.id, deps())).toMatchObject({ outcome: 'started', deploymentId: c.id });
  });

  test('the table is unreachable right after the lock was taken: the message fails, and its redelivery starts the build once', async () => {
    const a = await queue(1);
    faulty.failNext('transition', ([id, to]) => id === a.id && to === 'running');
    await expect(launchQueued(a.id, deps())).rejects.toThrow(/ECONNREFUSED/);
    // The lock is held by a queued deployment no one is launching: only a redelivery (SQS) moves it.
    expect(await settled(real, 'shop', 'dev')).toMatchObject({ lockHolder: a.id, unfinished: [`${a.id} queued`] });
    expect(runner.runs).toEqual([]);

    // SQS delivers the message again, twice at once: one marks it running; the other either
    // finds its task attached (skipped), finishes the start itself with the same task, or (read
    // between the two writes of the first) leaves it to the first and fails, for SQS to retry.
    const results = await Promise.allSettled([launchQueued(a.id, deps()), launchQueued(a.id, deps())]);
    const outcomes = results.flatMap(r => (r.status === 'fulfilled' ? [r.value] : []));
    expect(outcomes.map(o => o.outcome)).toContain('started');
    expect(outcomes.filter(o => o.outcome !== 'started' && o.outcome !== 'skipped')).toEqual([]);
    expect(results.flatMap(r => (r.status === 'rejected' && !(r.reason instanceof LaunchInProgressError) ? [r.reason] : []))).toEqual([]);
    expect(runner.runs.map(r => r.deploymentId)).toEqual([a.id]);
    expect(runner.stops).toEqual([]);
    expect(await real.deployments.get(a.id)).toMatchObject({ status: 'running', taskId: taskArn(a.id) });
    await stop(a.id, 0);
    expect(await settled(real, 'shop', 'dev')).toMatchObject({ unfinished: [], lockHolder: undefined, currentDeploymentId: a.id });
  });

  test('the launcher dies inside RunTask (a Lambda timeout): the redelivery starts the build, and the late first copy changes nothing', async () => {
    const a = await queue(1);
    const b = await queue(2);
    const hung = gate();
    runner.duringRun = () => hung.promise;
    const first = launchQueued(a.id, deps());
    await eventually(`${a.id} to run`, async () => (await real.deployments.get(a.id))?.status === 'running', 10_000);
    // Marked running with no task, and nothing else will move it: stranded until the message comes back.
    expect(await taskOf(a.id)).toEqual({ status: 'running', taskId: undefined });
    expect(await launchQueued(b.id, deps())).toMatchObject({ outcome: 'waiting' });

    runner.duringRun = undefined;
    // A copy delivered meanwhile leaves it alone (the first launch may still be starting it) and is retried.
    await expect(launchQueued(a.id, deps())).rejects.toThrow(LaunchInProgressError);
    expect(runner.runs).toEqual([]);
    expect(await launchQueued(a.id, redelivered())).toMatchObject({ outcome: 'started', deploymentId: a.id, taskId: taskArn(a.id) });
    expect(await real.deployments.get(a.id)).toMatchObject({ status: 'running', taskId: taskArn(a.id) });
    // Were the first invocation alive after all, RunTask answers it with the same task (idempotency token).
    hung.open();
    expect(await first).toMatchObject({ outcome: 'started', taskId: taskArn(a.id) });
    expect(runner.runs.map(r => r.deploymentId)).toEqual([a.id]);
    expect(runner.repeatedRuns).toEqual([a.id]);
    expect(runner.stops).toEqual([]);

    expect((await stop(a.id, 0)).next).toMatchObject({ outcome: 'started', deploymentId: b.id });
    await stop(b.id, 0);
    const after = await settled(real, 'shop', 'dev');
    expect(after).toMatchObject({ unfinished: [], lockHolder: undefined, currentDeploymentId: b.id });
    expect(after.deployments.map(d => d.status)).toEqual(['succeeded', 'succeeded']);
  });

  test('the table is unreachable when the task is recorded: the redelivery attaches the task already started, not a second one', async () => {
    const a = await queue(1);
    faulty.failNext('attachTask');
    await expect(launchQueued(a.id, deps())).rejects.toThrow(/ECONNREFUSED/);
    expect(await taskOf(a.id)).toEqual({ status: 'running', taskId: undefined });

    expect(await launchQueued(a.id, redelivered())).toMatchObject({ outcome: 'started', taskId: taskArn(a.id) });
    expect(runner.runs.map(r => r.deploymentId)).toEqual([a.id]);
    expect(runner.repeatedRuns).toEqual([a.id]);
    expect(await real.deployments.get(a.id)).toMatchObject({ status: 'running', taskId: taskArn(a.id) });
    // Once the task is recorded, a further copy of the message starts nothing.
    expect(await launchQueued(a.id, redelivered())).toMatchObject({ outcome: 'skipped', reason: 'already running' });
    await stop(a.id, 0);
    expect(await settled(real, 'shop', 'dev')).toMatchObject({ unfinished: [], lockHolder: undefined, currentDeploymentId: a.id });
  });

  test('a stranded deployment cancelled before the redelivery: its task is stopped, the stop releases the lock, the waiting one starts', async () => {
    const a = await queue(1);
    faulty.failNext('attachTask');
    await expect(launchQueued(a.id, deps())).rejects.toThrow(/ECONNREFUSED/);
    const b = await queue(2);
    expect(await launchQueued(b.id, deps())).toMatchObject({ outcome: 'waiting' });
    await cancelDeployment(a.id, 'ada', deps());
    // No task was recorded, so cancel could stop nothing: the lock is still a's.
    expect(await settled(real, 'shop', 'dev')).toMatchObject({ lockHolder: a.id, pending: b.id });

    expect(await launchQueued(a.id, redelivered())).toMatchObject({ outcome: 'skipped', reason: 'cancelled while starting' });
    expect(runner.stops).toEqual([{ taskId: taskArn(a.id), reason: 'the deployment was cancelled while its build started' }]);
    expect((await stop(a.id, 137)).next).toMatchObject({ outcome: 'started', deploymentId: b.id });
    await stop(b.id, 0);
    const after = await settled(real, 'shop', 'dev');
    expect(after).toMatchObject({ unfinished: [], lockHolder: undefined, currentDeploymentId: b.id });
    expect(after.deployments.map(d => [d.id, d.status])).toEqual([[a.id, 'cancelled'], [b.id, 'succeeded']]);
  });

  test('the table is unreachable when the finalizer launches the next one: its retry starts it', async () => {
    const a = await queue(1);
    await launchQueued(a.id, deps());
    const b = await queue(2);
    await launchQueued(b.id, deps());
    // a's end and the hand-over are written; marking b running is not.
    faulty.failNext('transition', ([id, to]) => id === b.id && to === 'running');
    await expect(stop(a.id, 0)).rejects.toThrow(/ECONNREFUSED/);
    expect(await settled(real, 'shop', 'dev')).toMatchObject({ lockHolder: b.id, unfinished: [`${b.id} queued`] });

    // EventBridge retries the finalizer with the same event: a is final, b is started (once).
    const retried = await stop(a.id, 0);
    expect(retried).toMatchObject({ outcome: 'already-final', next: { outcome: 'started', deploymentId: b.id } });
    expect(runner.runs.map(r => r.deploymentId)).toEqual([a.id, b.id]);
    expect((await stop(a.id, 0)).next).toBeUndefined(); // a third copy starts nothing

    await stop(b.id, 0);
    const after = await settled(real, 'shop', 'dev');
    expect(after).toMatchObject({ unfinished: [], lockHolder: undefined, currentDeploymentId: b.id });
    expect(after.deployments.map(d => d.status)).toEqual(['succeeded', 'succeeded']);
  });

  test('the finalizer dies while it starts the next one: its retry, once that one is stranded, finishes the start with the same task', async () => {
    const a = await queue(1);
    await launchQueued(a.id, deps());
    const b = await queue(2);
    await launchQueued(b.id, deps());
    // a's end and the hand-over are written, b is marked running; recording b's task is not.
    faulty.failNext('attachTask', ([id]) => id === b.id);
    await expect(stop(a.id, 0)).rejects.toThrow(/ECONNREFUSED/);
    expect(await taskOf(b.id)).toEqual({ status: 'running', taskId: undefined });

    // A retry right away leaves b alone (its launch might still be going on) ...
    expect((await finalizeTask({ deploymentId: a.id, taskId: taskArn(a.id), exitCode: 0 }, deps())).next).toBeUndefined();
    // ... Lambda's retry of the event, minutes later, attaches the task b already has.
    const retried = await finalizeTask({ deploymentId: a.id, taskId: taskArn(a.id), exitCode: 0 }, redelivered());
    expect(retried).toMatchObject({ outcome: 'already-final', next: { outcome: 'started', deploymentId: b.id, taskId: taskArn(b.id) } });
    expect(runner.runs.map(r => r.deploymentId)).toEqual([a.id, b.id]);
    expect(runner.repeatedRuns).toEqual([b.id]);

    await stop(b.id, 0);
    expect(await settled(real, 'shop', 'dev')).toMatchObject({ unfinished: [], lockHolder: undefined, currentDeploymentId: b.id });
  });

  test('the table is unreachable when the finalizer releases the lock: its retry releases it', async () => {
    const a = await queue(1);
    await launchQueued(a.id, deps());
    const b = await queue(2);
    await launchQueued(b.id, deps());
    faulty.failNext('releaseEnvironment');
    await expect(stop(a.id, 0)).rejects.toThrow(/ECONNREFUSED/);
    expect(await real.deployments.get(a.id)).toMatchObject({ status: 'succeeded' });
    expect(await settled(real, 'shop', 'dev')).toMatchObject({ lockHolder: a.id, pending: b.id });

    expect(await stop(a.id, 0)).toMatchObject({ outcome: 'already-final', next: { outcome: 'started', deploymentId: b.id } });
    await stop(b.id, 0);
    expect(await settled(real, 'shop', 'dev')).toMatchObject({ unfinished: [], lockHolder: undefined, currentDeploymentId: b.id });
  });

  // The retry releases the lock itself (see faults-ecs-events): the release carries the version.
  test('the retry of a finalizer that failed after its terminal write records the deployed version', async () => {
    const a = await queue(1);
    await launchQueued(a.id, deps());
    faulty.failNext('releaseEnvironment');
    await expect(stop(a.id, 0)).rejects.toThrow(/ECONNREFUSED/);
    await stop(a.id, 0);
    expect(await settled(real, 'shop', 'dev')).toMatchObject({ lockHolder: undefined, currentDeploymentId: a.id });
  });
});
