import { T0, appConfig, configuredStore, depId, envConfig } from './fixtures';
import {
  Clock, Deployment, DeploymentScheduler, DeploymentStore, NotFoundError, Scheduled, Store, isTerminal,
} from '../../src/runtime/core';
import { freshStore } from '../support/test-table';

const APP = 'web';
const ENV = 'prod';
const config = [appConfig(APP, [envConfig('staging'), envConfig(ENV)])];

function request(commit: string) {
  return { application: APP, environment: ENV, action: 'deploy' as const, commit, branch: 'main', trigger: { kind: 'push' as const } };
}

describe('environment lock (DynamoDeploymentStore)', () => {
  let store: Store;

  beforeEach(async () => {
    ({ store } = await freshStore());
    await store.config.syncApplications(config);
  });

  async function lockState(env = ENV) {
    const record = await store.config.getEnvironment(APP, env);
    return { lockHolder: record?.lockHolder, pending: record?.pending };
  }

  test('a free environment is acquired and records the holder', async () => {
    expect(await store.deployments.claimEnvironment(APP, ENV, depId(1))).toEqual({ outcome: 'acquired' });
    expect(await lockState()).toEqual({ lockHolder: depId(1), pending: undefined });
    // Other environments are unaffected.
    expect(await lockState('staging')).toEqual({ lockHolder: undefined, pending: undefined });
  });

  test('two concurrent claims: exactly one acquires, the other waits or is outdated by it', async () => {
    for (let round = 0; round < 5; round++) {
      const env = round % 2 === 0 ? ENV : 'staging';
      const [a, b] = [depId(round * 10 + 1), depId(round * 10 + 2)];
      const claims = await Promise.all([store.deployments.claimEnvironment(APP, env, a), store.deployments.claimEnvironment(APP, env, b)]);
      expect(claims.filter(c => c.outcome === 'acquired')).toHaveLength(1);
      const holder = claims[0].outcome === 'acquired' ? a : b;
      const state = await lockState(env);
      expect(state.lockHolder).toBe(holder);
      // The newer one never loses to the older one: it holds or waits.
      expect(holder === b || state.pending === b).toBe(true);
      await store.deployments.releaseEnvironment(APP, env, holder);
      if (state.pending) await store.deployments.releaseEnvironment(APP, env, state.pending);
      expect(await lockState(env)).toEqual({ lockHolder: undefined, pending: undefined });
    }
  });

  test('ten concurrent claims: exactly one acquires and the newest of the others is the one pending', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => depId(i + 1));
    const claims = await Promise.all(ids.map(id => store.deployments.claimEnvironment(APP, ENV, id)));

    const acquired = ids.filter((_, i) => claims[i].outcome === 'acquired');
    expect(acquired).toHaveLength(1);
    const holder = acquired[0];
    const state = await lockState();
    expect(state.lockHolder).toBe(holder);
    const newest = ids[ids.length - 1];
    expect(state.pending).toBe(holder === newest ? undefined : newest);

    // Every other claim ended waiting-then-displaced or outdated; displaced ones were displaced by a newer id.
    const waiting = ids.filter((_, i) => claims[i].outcome === 'waiting');
    expect(state.pending === undefined || waiting.includes(state.pending)).toBe(true);
    for (const [i, claim] of claims.entries()) {
      if (claim.outcome === 'outdated') expect(claim.newer > ids[i]).toBe(true);
    }
    const displaced = claims.flatMap(c => (c.outcome === 'waiting' && c.displaced ? [c.displaced] : []));
    expect(new Set(displaced).size).toBe(displaced.length);
    // Everyone but the holder and the pending one is out: displaced or outdated, exactly once.
    const out = [...displaced, ...claims.flatMap((c, i) => (c.outcome === 'outdated' ? [ids[i]] : []))];
    expect(out.sort()).toEqual(ids.filter(id => id !== holder && id !== state.pending).sort());
  });

  test('a claim on a missing environment is a NotFoundError and creates nothing', async () => {
    await expect(store.deployments.claimEnvironment(APP, 'nope', depId(1))).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.deployments.claimEnvironment('nope', ENV, depId(1))).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.config.getEnvironment(APP, 'nope')).toBeUndefined();
    expect((await store.config.listApplications()).map(a => a.name)).toEqual([APP]);
  });

  test('a newer claim replaces the pending one; an older claim is outdated by it', async () => {
    await store.deployments.claimEnvironment(APP, ENV, depId(1));
    expect(await store.deployments.claimEnvironment(APP, ENV, depId(3))).toEqual({ outcome: 'waiting' });
    expect(await store.deployments.claimEnvironment(APP, ENV, depId(5))).toEqual({ outcome: 'waiting', displaced: depId(3) });
    expect(await store.deployments.claimEnvironment(APP, ENV, depId(4))).toEqual({ outcome: 'outdated', newer: depId(5) });
    expect(await lockState()).toEqual({ lockHolder: depId(1), pending: depId(5) });
  });

  test('a claim older than the lock holder is outdated by the holder, never queued behind it', async () => {
    // Requested first, but its claim lands after a newer request took the lock.
    expect(await store.deployments.claimEnvironment(APP, ENV, depId(7))).toEqual({ outcome: 'acquired' });
    expect(await store.deployments.claimEnvironment(APP, ENV, depId(6))).toEqual({ outcome: 'outdated', newer: depId(7) });
    expect(await lockState()).toEqual({ lockHolder: depId(7), pending: undefined });
  });

  test('release with a pending request hands the lock to it; release without one frees the environment', async () => {
    await store.deployments.claimEnvironment(APP, ENV, depId(1));
    await store.deployments.claimEnvironment(APP, ENV, depId(2));

    expect(await store.deployments.releaseEnvironment(APP, ENV, depId(1))).toEqual({ next: depId(2) });
    expect(await lockState()).toEqual({ lockHolder: depId(2), pending: undefined });

    expect(await store.deployments.releaseEnvironment(APP, ENV, depId(2))).toEqual({});
    expect(await lockState()).toEqual({ lockHolder: undefined, pending: undefined });
    // Free again: the next claim acquires.
    expect(await store.deployments.claimEnvironment(APP, ENV, depId(3))).toEqual({ outcome: 'acquired' });
  });

  test('release by a non-holder (or twice by the old holder) is a no-op', async () => {
    await store.deployments.claimEnvironment(APP, ENV, depId(1));
    await store.deployments.claimEnvironment(APP, ENV, depId(2));

    // Not even the pending one may release the holder's lock.
    for (const stranger of [depId(2), depId(9), 'not-an-id']) {
      expect(await store.deployments.releaseEnvironment(APP, ENV, stranger)).toEqual({});
      expect(await lockState()).toEqual({ lockHolder: depId(1), pending: depId(2) });
    }
    expect(await store.deployments.releaseEnvironment(APP, ENV, depId(1))).toEqual({ next: depId(2) });
    expect(await store.deployments.releaseEnvironment(APP, ENV, depId(1))).toEqual({});
    expect(await lockState()).toEqual({ lockHolder: depId(2), pending: undefined });
    expect(await store.deployments.releaseEnvironment(APP, 'nope', depId(1))).toEqual({});
  });

  test('a release racing a claim either hands over to it or lets it acquire, never both nor neither', async () => {
    for (let round = 0; round < 10; round++) {
      const holder = depId(round * 10 + 1);
      const claimer = depId(round * 10 + 2);
      expect(await store.deployments.claimEnvironment(APP, ENV, holder)).toEqual({ outcome: 'acquired' });
      const [released, claim] = await Promise.all([
        store.deployments.releaseEnvironment(APP, ENV, holder),
        store.deployments.claimEnvironment(APP, ENV, claimer),
      ]);
      const launches = (released.next === claimer ? 1 : 0) + (claim.outcome === 'acquired' ? 1 : 0);
      expect(launches).toBe(1);
      expect(await lockState()).toEqual({ lockHolder: claimer, pending: undefined });
      expect(await store.deployments.releaseEnvironment(APP, ENV, claimer)).toEqual({});
    }
  });
});

describe('lock rule (DeploymentScheduler over DynamoDB)', () => {
  let store: Store;
  let clock: Clock;
  let scheduler: DeploymentScheduler;

  beforeEach(async () => {
    ({ store, clock, scheduler } = await configuredStore(config));
  });

  async function lockState() {
    const record = await store.config.getEnvironment(APP, ENV);
    return { lockHolder: record?.lockHolder, pending: record?.pending };
  }

  async function status(id: string) {
    return (await store.deployments.get(id))?.status;
  }

  /** What a launcher does with a deployment that holds the lock. */
  async function launch(id: string): Promise<Deployment> {
    return store.deployments.transition(id, 'running', { taskId: `task-${id}` });
  }

  test('A runs, B waits, C supersedes B; completing A hands the lock to C', async () => {
    const a = await scheduler.request(request('a'.repeat(40)));
    expect(a.launch).toBe(true);
    expect(a.deployment.status).toBe('queued');
    await launch(a.deployment.id);

    const b = await scheduler.request(request('b'.repeat(40)));
    expect(b.launch).toBe(false);
    expect(await status(b.deployment.id)).toBe('queued');
    expect(await lockState()).toEqual({ lockHolder: a.deployment.id, pending: b.deployment.id });

    const c = await scheduler.request(request('c'.repeat(40)));
    expect(c.launch).toBe(false);
    const superseded = await store.deployments.get(b.deployment.id);
    expect(superseded).toMatchObject({ status: 'superseded', reason: `superseded by ${c.deployment.id}` });
    expect(superseded?.finishedAt).toBeDefined();
    expect(await lockState()).toEqual({ lockHolder: a.deployment.id, pending: c.deployment.id });

    const done = await scheduler.complete(a.deployment.id, 'succeeded');
    expect(done.deployment.status).toBe('succeeded');
    expect(done.next).toBe(c.deployment.id);
    expect(await lockState()).toEqual({ lockHolder: c.deployment.id, pending: undefined });
    expect(await status(c.deployment.id)).toBe('queued');

    await launch(c.deployment.id);
    expect(await scheduler.complete(c.deployment.id, 'failed', { reason: 'exit 1' })).toMatchObject({ next: undefined });
    expect(await lockState()).toEqual({ lockHolder: undefined, pending: undefined });
  });

  test('a request older than the pending one ends outdated: superseded by it', async () => {
    const a = await scheduler.request(request('a'.repeat(40)));
    await launch(a.deployment.id);
    const pending = await scheduler.request(request('b'.repeat(40)));

    // A second scheduler whose clock lags a little (another Lambda, a slow request): its id falls
    // between the running one's and the pending one's.
    const lagging = new DeploymentScheduler(store, { now: () => new Date(Date.parse(pending.deployment.createdAt) - 1) });
    const late = await lagging.request(request('c'.repeat(40)));
    expect(late.launch).toBe(false);
    expect(a.deployment.id < late.deployment.id && late.deployment.id < pending.deployment.id).toBe(true);
    expect(late.deployment).toMatchObject({ status: 'superseded', reason: `superseded by ${pending.deployment.id}` });
    expect(await status(late.deployment.id)).toBe('superseded');
    expect(await status(pending.deployment.id)).toBe('queued');
    expect(await lockState()).toEqual({ lockHolder: a.deployment.id, pending: pending.deployment.id });
  });

  test('a request older than the running one is superseded by it instead of running after it', async () => {
    const a = await scheduler.request(request('a'.repeat(40)));
    await launch(a.deployment.id);
    const lagging = new DeploymentScheduler(store, { now: () => new Date(T0 - 60_000) });
    const late = await lagging.request(request('0'.repeat(40)));
    expect(late.deployment).toMatchObject({ status: 'superseded', reason: `superseded by ${a.deployment.id}` });
    expect((await scheduler.complete(a.deployment.id, 'succeeded')).next).toBeUndefined();
    expect(await lockState()).toEqual({ lockHolder: undefined, pending: undefined });
  });

  test('a pending deployment cancelled while waiting is skipped on hand-over', async () => {
    const a = await scheduler.request(request('a'.repeat(40)));
    await launch(a.deployment.id);
    const b = await scheduler.request(request('b'.repeat(40)));
    await store.deployments.transition(b.deployment.id, 'cancelled', { reason: 'cancelled by alice' });

    const done = await scheduler.complete(a.deployment.id, 'succeeded');
    expect(done.next).toBeUndefined();
    expect(await lockState()).toEqual({ lockHolder: undefined, pending: undefined });
    expect(await store.deployments.get(b.deployment.id)).toMatchObject({ status: 'cancelled', reason: 'cancelled by alice' });
    // The environment is usable again.
    expect((await scheduler.request(request('c'.repeat(40)))).launch).toBe(true);
  });

  test('a cancelled waiter displaced by a newer request stays cancelled, and the newer one runs next', async () => {
    const a = await scheduler.request(request('a'.repeat(40)));
    await launch(a.deployment.id);
    const b = await scheduler.request(request('b'.repeat(40)));
    await store.deployments.transition(b.deployment.id, 'cancelled');
    const c = await scheduler.request(request('c'.repeat(40)));
    expect(c.launch).toBe(false);
    expect(await status(b.deployment.id)).toBe('cancelled');
    expect((await scheduler.complete(a.deployment.id, 'cancelled')).next).toBe(c.deployment.id);
  });

  test('hand-over passes the lock past a cancelled waiter to a request that queued behind it meanwhile', async () => {
    const a = await scheduler.request(request('a'.repeat(40)));
    await launch(a.deployment.id);
    const b = await scheduler.request(request('b'.repeat(40)));
    await store.deployments.transition(b.deployment.id, 'cancelled');

    // C's request lands while A's hand-over is reading B: C queues behind B, which now holds the lock.
    let c: Scheduled | undefined;
    const deployments: DeploymentStore = Object.create(store.deployments) as DeploymentStore;
    deployments.get = async id => {
      if (id === b.deployment.id && !c) c = await scheduler.request(request('c'.repeat(40)));
      return store.deployments.get(id);
    };
    const racing = new DeploymentScheduler({ ...store, deployments }, clock);

    const done = await racing.complete(a.deployment.id, 'succeeded');
    expect(c?.launch).toBe(false);
    expect(done.next).toBe(c?.deployment.id);
    expect(await lockState()).toEqual({ lockHolder: c?.deployment.id, pending: undefined });
  });

  async function runningNow(): Promise<string[]> {
    const page = await store.deployments.listByEnvironment(APP, ENV, { limit: 100 });
    return page.items.filter(d => d.status === 'running').map(d => d.id);
  }

  /**
   * Launch each lock holder in turn and complete it, checking that nothing else of the
   * environment runs meanwhile; returns the order in which deployments ran.
   */
  async function drain(first: string | undefined): Promise<string[]> {
    const ran: string[] = [];
    for (let next = first; next !== undefined && ran.length < 50;) {
      expect(await runningNow()).toEqual([]);
      expect((await lockState()).lockHolder).toBe(next);
      await launch(next);
      expect(await runningNow()).toEqual([next]);
      ran.push(next);
      next = (await scheduler.complete(next, 'succeeded')).next;
    }
    return ran;
  }

  async function expectAllSettled(ids: string[], ran: string[]): Promise<void> {
    const page = await store.deployments.listByEnvironment(APP, ENV, { limit: 100 });
    expect(page.items.map(d => d.id).sort()).toEqual([...ids].sort());
    for (const d of page.items) {
      expect(isTerminal(d.status)).toBe(true);
      expect(d.status).toBe(ran.includes(d.id) ? 'succeeded' : 'superseded');
    }
    expect(await lockState()).toEqual({ lockHolder: undefined, pending: undefined });
  }

  test('a burst of 20 concurrent requests while one runs: only the last requested runs next, the rest are superseded', async () => {
    const a = await scheduler.request(request('0'.repeat(40)));
    expect(a.launch).toBe(true);
    await launch(a.deployment.id);

    const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => scheduler.request(request(String(i % 10).repeat(40)))));
    const ids = burst.map(s => s.deployment.id);
    const last = [...ids].sort().pop()!;
    expect(burst.every(s => !s.launch)).toBe(true);
    expect(await lockState()).toEqual({ lockHolder: a.deployment.id, pending: last });
    expect(await status(last)).toBe('queued');
    expect(await runningNow()).toEqual([a.deployment.id]);
    for (const id of ids.filter(x => x !== last)) {
      const superseded = await store.deployments.get(id);
      expect(superseded).toMatchObject({ status: 'superseded', reason: expect.stringMatching(/^superseded by /) });
      // Always by a newer request.
      expect(superseded!.reason!.slice('superseded by '.length) > id).toBe(true);
    }

    const first = await scheduler.complete(a.deployment.id, 'succeeded');
    const ran = [a.deployment.id, ...await drain(first.next)];
    expect(ran).toEqual([a.deployment.id, last]);
    await expectAllSettled([a.deployment.id, ...ids], ran);
  });

  test.each([0, 10, 25])('a burst of 20 racing the completion of the running one (%i ms later): one at a time, the last requested runs last', async delay => {
    const a = await scheduler.request(request('0'.repeat(40)));
    await launch(a.deployment.id);

    const completion = new Promise(resolve => setTimeout(resolve, delay)).then(() => scheduler.complete(a.deployment.id, 'succeeded'));
    const requests = Promise.all(Array.from({ length: 20 }, () => scheduler.request(request('1'.repeat(40)))));
    const [completed, burst] = await Promise.all([completion, requests]);
    const ids = burst.map(s => s.deployment.id);
    const last = [...ids].sort().pop()!;

    // Exactly one deployment may be launched: handed over by A, or acquired by a request.
    const launchable = [...burst.filter(s => s.launch).map(s => s.deployment.id), ...completed.next ? [completed.next] : []];
    expect(launchable).toHaveLength(1);
    expect(await status(last)).toBe('queued');

    const ran = [a.deployment.id, ...await drain(launchable[0])];
    expect(ran[ran.length - 1]).toBe(last);
    expect(ran.length).toBeLessThanOrEqual(3);
    await expectAllSettled([a.deployment.id, ...ids], ran);
  });
});
