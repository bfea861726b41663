import { FaultyStore } from './support/faulty-store';
import { GatedTaskRunner, gate } from './support/gated-task-runner';
import { settled } from './support/settled';
import { Deployment, DeploymentScheduler, Store } from '../../src/runtime/core';
import { TaskStopped, finalizeTask } from '../../src/runtime/deployments/finalize';
import { launchQueued } from '../../src/runtime/deployments/launch';
import { taskArn } from '../deployments/fake-task-runner';
import { appConfig, depId, envConfig, steppingClock } from '../store/fixtures';
import { eventually } from '../support/eventually';
import { freshStore } from '../support/test-table';

/**
 * Faults on the AWS path: ECS "task stopped" events delivered twice (one after
 * the other, and at the same moment), out of order (before the launcher recorded the task,
 * for an earlier task, for a task nobody knows) and for a builder that was killed. The real
 * launcher and finalizer on DynamoDB Local, the recording fake ECS. Checked after each: one
 * terminal transition per deployment, the next one started exactly once, the lock free or
 * held by the one that runs, every request in the history.
 */

const COMMIT = (n: number) => n.toString(16).padStart(40, '0');

describe('faults: duplicate, out-of-order and killed-builder task events', () => {
  let real: Store;
  let faulty: FaultyStore;
  let runner: GatedTaskRunner;
  let clock: ReturnType<typeof steppingClock>;
  /** Every status a deployment was moved to, in order (a second terminal write would show here). */
  let moves: Array<[string, string]>;
  const deps = () => ({ store: faulty.store, runner, clock });

  beforeEach(async () => {
    clock = steppingClock();
    ({ store: real } = await freshStore(clock));
    faulty = new FaultyStore(real);
    moves = [];
    const transition = faulty.store.deployments.transition.bind(faulty.store.deployments);
    (faulty.store.deployments as { transition: typeof transition }).transition = async (id, to, details) => {
      const moved = await transition(id, to, details);
      moves.push([id, to]);
      return moved;
    };
    runner = new GatedTaskRunner();
    await real.config.syncApplications([appConfig('shop', [envConfig('dev')])]);
  });

  const queue = (n: number) => new DeploymentScheduler(real, clock).create({
    application: 'shop', environment: 'dev', action: 'deploy', commit: COMMIT(n), branch: 'main', trigger: { kind: 'push' },
  });
  const event = (deploymentId: string, exitCode?: number, stopReason?: string): TaskStopped =>
    ({ deploymentId, taskId: taskArn(deploymentId), exitCode, stopReason });
  const movesOf = (id: string) => moves.filter(([moved]) => moved === id).map(([, to]) => to);

  /** a running, b waiting for the lock. */
  async function runningWithWaiting(): Promise<[Deployment, Deployment]> {
    const a = await queue(1);
    expect(await launchQueued(a.id, deps())).toMatchObject({ outcome: 'started' });
    const b = await queue(2);
    expect(await launchQueued(b.id, deps())).toMatchObject({ outcome: 'waiting' });
    return [a, b];
  }

  describe('duplicates', () => {
    test('the same stop event delivered five times at once: one terminal write, the next started once', async () => {
      for (let round = 0; round < 5; round++) {
        const [a, b] = [await queue(10 * round + 1), await queue(10 * round + 2)];
        if (round === 0) {
          await launchQueued(a.id, deps());
        } else {
          // The previous round's last deployment is running: end it so a can take the lock.
          const previous = runner.runs[runner.runs.length - 1].deploymentId;
          runner.stopped(previous);
          await finalizeTask(event(previous, 0), deps());
          await launchQueued(a.id, deps());
        }
        await launchQueued(b.id, deps());
        runner.stopped(a.id);
        const results = await Promise.all(Array.from({ length: 5 }, () => finalizeTask(event(a.id, 0), deps())));

        expect(results.filter(r => r.outcome === 'finalized')).toHaveLength(1);
        expect(results.flatMap(r => (r.next?.outcome === 'started' ? [r.next.deploymentId] : []))).toEqual([b.id]);
        expect(movesOf(a.id)).toEqual(['running', 'succeeded']);
        expect(movesOf(b.id)).toEqual(['running']);
        expect(runner.runs.filter(r => r.deploymentId === b.id)).toHaveLength(1);
        expect(await settled(real, 'shop', 'dev')).toMatchObject({ lockHolder: b.id, pending: undefined });
      }
      expect(runner.maxActivePerEnvironment).toBe(1);
    });

    test('a duplicate with another exit code, after the next one started and finished, changes nothing', async () => {
      const [a, b] = await runningWithWaiting();
      runner.stopped(a.id);
      await finalizeTask(event(a.id, 1), deps());
      runner.stopped(b.id);
      await finalizeTask(event(b.id, 0), deps());
      const before = await settled(real, 'shop', 'dev');

      expect(await finalizeTask(event(a.id, 0), deps())).toEqual({ outcome: 'already-final', status: 'failed', next: undefined });
      expect(await finalizeTask(event(b.id, 1), deps())).toEqual({ outcome: 'already-final', status: 'succeeded', next: undefined });
      expect(await settled(real, 'shop', 'dev')).toEqual(before);
      expect(before).toMatchObject({ unfinished: [], lockHolder: undefined, currentDeploymentId: b.id });
    });

    // A copy that loses the race (or the retry of a finalizer that failed after its terminal
    // write) releases the lock itself: the release must carry the succeeded version.
    test('a copy that overtakes the first one\'s release keeps the deployed version current', async () => {
      const a = await queue(1);
      await launchQueued(a.id, deps());
      runner.stopped(a.id);
      // The first copy's release (the one that carries the version) is slow; the second copy runs meanwhile.
      const slow = gate();
      faulty.holdNext('releaseEnvironment', ([, , holder, version]) => holder === a.id && version !== undefined, slow.promise);
      const first = finalizeTask(event(a.id, 0), deps());
      await eventually('the held release to be reached', () => faulty.injected.length === 1, 10_000);
      expect(await finalizeTask(event(a.id, 0), deps())).toMatchObject({ outcome: 'already-final' });
      slow.open();
      expect(await first).toMatchObject({ outcome: 'finalized', status: 'succeeded' });
      expect(await settled(real, 'shop', 'dev')).toMatchObject({ lockHolder: undefined, currentDeploymentId: a.id });
    });
  });

  describe('out of order', () => {
    test('the task stops before the launcher recorded it: failed from the event, the late launcher stops nothing new', async () => {
      const a = await queue(1);
      const b = await queue(2);
      // ECS reports the stop (the container could not start) while RunTask's answer is still on its way.
      runner.duringRun = async request => {
        if (request.deploymentId !== a.id) return;
        await launchQueued(b.id, deps()); // b arrives and waits
        const finalized = await finalizeTask(event(a.id, undefined, 'CannotPullContainerError: image not found'), deps());
        expect(finalized).toMatchObject({ outcome: 'finalized', status: 'failed', next: { outcome: 'started', deploymentId: b.id } });
      };
      const launched = await launchQueued(a.id, deps());
      runner.duringRun = undefined;

      expect(launched).toMatchObject({ outcome: 'skipped', deploymentId: a.id });
      const failed = await real.deployments.get(a.id);
      expect(failed).toMatchObject({ status: 'failed', taskId: taskArn(a.id), reason: expect.stringContaining('CannotPullContainerError') });
      expect(movesOf(a.id)).toEqual(['running', 'failed']);
      expect(await settled(real, 'shop', 'dev')).toMatchObject({ lockHolder: b.id, unfinished: [`${b.id} running`] });
    });

    test('a stale event for an earlier task of the deployment is ignored; its own task decides', async () => {
      const [a, b] = await runningWithWaiting();
      const stale = { deploymentId: a.id, taskId: `${taskArn(a.id)}-earlier`, exitCode: 1 };
      expect(await finalizeTask(stale, deps())).toEqual({ outcome: 'ignored' });
      expect((await real.deployments.get(a.id))!.status).toBe('running');
      runner.stopped(a.id);
      expect(await finalizeTask(event(a.id, 0), deps())).toMatchObject({ outcome: 'finalized', status: 'succeeded', next: { outcome: 'started', deploymentId: b.id } });
      // The stale one again, now after the end: still nothing.
      expect(await finalizeTask(stale, deps())).toEqual({ outcome: 'ignored' });
      expect(movesOf(a.id)).toEqual(['running', 'succeeded']);
    });

    test('an event for a deployment that never ran (still waiting) is ignored: it starts later as usual', async () => {
      const [a, b] = await runningWithWaiting();
      expect(await finalizeTask(event(b.id, 1), deps())).toEqual({ outcome: 'ignored' });
      expect(await real.deployments.get(b.id)).toMatchObject({ status: 'queued' });
      runner.stopped(a.id);
      expect((await finalizeTask(event(a.id, 0), deps())).next).toMatchObject({ outcome: 'started', deploymentId: b.id });
    });

    test('events for unknown tasks and deployments change nothing', async () => {
      const [a] = await runningWithWaiting();
      const before = await settled(real, 'shop', 'dev');
      expect(await finalizeTask({ deploymentId: depId(999_999), taskId: 'arn:aws:ecs:eu-west-1:1:task/x', exitCode: 1 }, deps())).toEqual({ outcome: 'ignored' });
      expect(await finalizeTask({ deploymentId: 'some-other-service', taskId: 'arn:aws:ecs:eu-west-1:1:task/y', exitCode: 0 }, deps())).toEqual({ outcome: 'ignored' });
      expect(await finalizeTask({ deploymentId: a.id, taskId: 'arn:aws:ecs:eu-west-1:1:task/foreign' }, deps())).toEqual({ outcome: 'ignored' });
      expect(await settled(real, 'shop', 'dev')).toEqual(before);
    });
  });

  describe('the builder was killed', () => {
    test.each([
      ['OOM-killed (exit 137, essential container exited)', 137, 'Essential container in task exited', 'the builder exited with code 137'],
      ['stopped by ECS before the container ran (no exit code)', undefined, 'Task stopped by user', 'the build task stopped before the builder ran: Task stopped by user'],
      ['spot/host reclaimed (no exit code, no reason)', undefined, undefined, 'the build task stopped before the builder ran: no reason given'],
    ])('%s → failed with the reason, the lock passes on, the next deploys', async (_name, exitCode, stopReason, reason) => {
      const [a, b] = await runningWithWaiting();
      runner.stopped(a.id);
      const finalized = await finalizeTask(event(a.id, exitCode, stopReason), deps());
      expect(finalized).toMatchObject({ outcome: 'finalized', status: 'failed', next: { outcome: 'started', deploymentId: b.id } });
      expect(await real.deployments.get(a.id)).toMatchObject({ status: 'failed', reason });

      runner.stopped(b.id);
      await finalizeTask(event(b.id, 0), deps());
      const after = await settled(real, 'shop', 'dev');
      expect(after).toMatchObject({ unfinished: [], lockHolder: undefined, currentDeploymentId: b.id });
      expect(after.deployments.map(d => [d.id, d.status])).toEqual([[a.id, 'failed'], [b.id, 'succeeded']]);
    });

    test('killed while its deploy phase ran: the reason is the exit code, not the unfinished phase', async () => {
      const [a] = await runningWithWaiting();
      await real.logs.ingest(a.id, [
        { seq: 0, at: new Date().toISOString(), stream: 'system', text: '::trellis-phase::{"phase":"deploy","event":"start"}' },
      ], { expiresAt: Math.floor(Date.now() / 1000) + 3600 });
      runner.stopped(a.id);
      await finalizeTask(event(a.id, 137, 'Essential container in task exited'), deps());
      expect(await real.deployments.get(a.id)).toMatchObject({ status: 'failed', reason: 'the builder exited with code 137' });
    });
  });
});
