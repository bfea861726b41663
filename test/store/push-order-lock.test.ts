import { appConfig, configuredStore, envConfig } from './fixtures';
import { Deployment, DeploymentScheduler, Store } from '../../src/runtime/core';

/**
 * The lock rule orders pushes of one branch by the push (GitHub's before → after chain,
 * pushed_at, head_commit.timestamp), not by the order their deployments were recorded in.
 */

const APP = 'web';
const ENV = 'dev';
const config = [appConfig(APP, [envConfig(ENV)])];
const sha = (n: number) => n.toString(16).padStart(40, '0');
const short = (n: number) => sha(n).slice(0, 12);

/** The push of commit n (n-1 → n), its commit made n seconds after a fixed time (or at it: `sameTime`), all pushed in one second. */
function pushOf(n: number, extra: { forced?: boolean; before?: number; sameTime?: boolean } = {}) {
  return {
    application: APP,
    environment: ENV,
    action: 'deploy' as const,
    commit: sha(n),
    branch: 'main',
    repository: 'acme/web',
    trigger: { kind: 'push' as const },
    push: {
      before: sha(extra.before ?? n - 1),
      pushedAt: '2026-12-05T10:00:00.000Z',
      committedAt: new Date(Date.parse('2026-12-05T09:00:00.000Z') + (extra.sameTime ? 0 : n * 1000)).toISOString(),
      ...extra.forced && { forced: true },
    },
  };
}

describe('push order (DeploymentScheduler over DynamoDB)', () => {
  let store: Store;
  let scheduler: DeploymentScheduler;

  beforeEach(async () => {
    ({ store, scheduler } = await configuredStore(config));
  });

  async function lockState() {
    const record = await store.config.getEnvironment(APP, ENV);
    return { lockHolder: record?.lockHolder, pending: record?.pending, currentCommit: record?.currentCommit };
  }

  async function run(id: string): Promise<Deployment> {
    await store.deployments.transition(id, 'running', { taskId: `task-${id}` });
    return (await scheduler.complete(id, 'succeeded')).deployment;
  }

  test('a push recorded after a newer push of its branch is superseded by it, whichever was recorded first', async () => {
    const one = await scheduler.request(pushOf(1));
    expect(one.launch).toBe(true);
    await store.deployments.transition(one.deployment.id, 'running');
    const three = await scheduler.request(pushOf(3));
    // Recorded later (a greater id), pushed earlier: the chain (3's before is 2) says so.
    const two = await scheduler.request(pushOf(2));
    expect(two.deployment.id > three.deployment.id).toBe(true);
    expect(two.deployment).toMatchObject({
      status: 'superseded',
      reason: `superseded by ${three.deployment.id}: its push moved the branch on from ${short(2)} to ${short(3)}`,
    });
    expect(await lockState()).toMatchObject({ lockHolder: one.deployment.id, pending: three.deployment.id });
    // And older than the running one: superseded by it, never queued behind it.
    const zero = await scheduler.request({ ...pushOf(0), push: { ...pushOf(0).push, before: '0'.repeat(40) } });
    expect(zero.deployment).toMatchObject({ status: 'superseded', reason: expect.stringMatching(new RegExp(`^superseded by (${one.deployment.id}|${three.deployment.id}): `)) });
  });

  test('20 successive pushes recorded in a shuffled order while one runs: the newest push waits, every other is superseded', async () => {
    const first = await scheduler.request(pushOf(1));
    await store.deployments.transition(first.deployment.id, 'running');
    const order = [12, 5, 21, 2, 17, 9, 20, 3, 14, 8, 19, 4, 11, 16, 6, 13, 18, 7, 10, 15];
    const recorded = await Promise.all(order.map(n => scheduler.request(pushOf(n))));
    const newest = recorded[order.indexOf(21)].deployment.id;
    expect(await lockState()).toMatchObject({ lockHolder: first.deployment.id, pending: newest });
    for (const scheduled of recorded.filter(s => s.deployment.id !== newest)) {
      expect(await store.deployments.get(scheduled.deployment.id)).toMatchObject({ status: 'superseded', reason: expect.stringMatching(/^superseded by \S+: /) });
    }
    const { next } = await scheduler.complete(first.deployment.id, 'succeeded');
    expect(next).toBe(newest);
  });

  test('commits made and pushed in one second, recorded shuffled: a claim that may wait puts off what only arrival would order, never superseding on a guess', async () => {
    const first = await scheduler.request(pushOf(1, { sameTime: true }));
    await store.deployments.transition(first.deployment.id, 'running');
    const order = [9, 4, 12, 2, 7, 11, 3, 10, 5, 8, 6];
    const newestCommit = sha(12);
    const putOff: Deployment[] = [];
    for (const n of order) {
      const deployment = await scheduler.create(pushOf(n, { sameTime: true }));
      const scheduled = await scheduler.claim(deployment, { mayWait: true });
      if (scheduled.undecidedAgainst) putOff.push(deployment);
      // Whatever arrived so far, the newest commit is never superseded.
      const newest = (await store.deployments.listByEnvironment(APP, ENV, { limit: 100 })).items.find(d => d.commit === newestCommit);
      expect(newest?.status ?? 'not yet').not.toBe('superseded');
    }
    // Something was put off (9 arrived with nothing between it and 1), and nothing is superseded without a reason from the chain.
    expect(putOff.length).toBeGreaterThan(0);
    const all = (await store.deployments.listByEnvironment(APP, ENV, { limit: 100 })).items;
    for (const d of all.filter(item => item.status === 'superseded')) expect(d.reason).toMatch(/: (its push moved the branch on|the branch's pushes lead) from /);
    // Claimed again once every push has arrived: each is decided, and the newest waits.
    for (const deployment of putOff) expect((await scheduler.claim(deployment, { mayWait: true })).undecidedAgainst).toBeUndefined();
    const twelve = all.find(d => d.commit === newestCommit)!;
    expect(await lockState()).toMatchObject({ lockHolder: first.deployment.id, pending: twelve.id });
    const after = (await store.deployments.listByEnvironment(APP, ENV, { limit: 100 })).items;
    expect(after.filter(d => d.status === 'queued').map(d => d.commit)).toEqual([newestCommit]);
  });

  test('a claim that may not wait orders two unordered pushes by arrival (the builder checks ancestry after the clone)', async () => {
    const first = await scheduler.request(pushOf(1, { sameTime: true }));
    await store.deployments.transition(first.deployment.id, 'running');
    const five = await scheduler.request(pushOf(5, { sameTime: true }));
    const three = await scheduler.request(pushOf(3, { sameTime: true }));
    expect(five.deployment.status).toBe('queued');
    expect(await store.deployments.get(five.deployment.id)).toMatchObject({ status: 'superseded', reason: `superseded by ${three.deployment.id}` });
    expect(await lockState()).toMatchObject({ pending: three.deployment.id });
  });

  test('a push older than the deployed push of its branch is superseded by it when the environment is free; a rollback is not', async () => {
    const five = await scheduler.request(pushOf(5));
    await run(five.deployment.id);
    expect(await lockState()).toEqual({ lockHolder: undefined, pending: undefined, currentCommit: sha(5) });

    const four = await scheduler.request(pushOf(4));
    expect(four.launch).toBe(false);
    expect(four.deployment).toMatchObject({ status: 'superseded', reason: `superseded by ${five.deployment.id}: its push moved the branch on from ${short(4)} to ${short(5)}` });
    expect(await lockState()).toEqual({ lockHolder: undefined, pending: undefined, currentCommit: sha(5) });

    // A rollback keeps its explicit intent: it deploys the older commit.
    const rollback = await scheduler.request({ ...pushOf(4), push: undefined, trigger: { kind: 'rollback', sourceDeploymentId: five.deployment.id } });
    expect(rollback.launch).toBe(true);
  });

  test('a forced push that rewinds the branch deploys the older commit', async () => {
    const five = await scheduler.request(pushOf(5));
    await run(five.deployment.id);
    const rewind = await scheduler.request(pushOf(2, { before: 5, forced: true }));
    expect(rewind.launch).toBe(true);
    await run(rewind.deployment.id);
    expect(await lockState()).toMatchObject({ currentCommit: sha(2) });
    // The late push of 5 (its before is 4), which the rewind followed, is now older than what is deployed.
    const late = await scheduler.request(pushOf(5));
    expect(late.deployment).toMatchObject({ status: 'superseded', reason: expect.stringMatching(new RegExp(`^superseded by ${rewind.deployment.id}: its push moved the branch on from ${short(5)}`)) });
  });

  test('manual deploys keep request order against pushes', async () => {
    const one = await scheduler.request(pushOf(1));
    await store.deployments.transition(one.deployment.id, 'running');
    const push = await scheduler.request(pushOf(9));
    const manual = await scheduler.request({ ...pushOf(3), push: undefined, trigger: { kind: 'manual', actor: 'alice' } });
    expect(manual.launch).toBe(false);
    expect(await store.deployments.get(push.deployment.id)).toMatchObject({ status: 'superseded', reason: `superseded by ${manual.deployment.id}` });
    expect(await lockState()).toMatchObject({ pending: manual.deployment.id });
  });
});
