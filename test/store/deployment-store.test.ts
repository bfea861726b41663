import { ManualClock, depId, queuedDeployment } from './fixtures';
import { ConflictError, Deployment, DeploymentStatus, IllegalTransitionError, NotFoundError, Store, ValidationError } from '../../src/runtime/core';
import { ingestTokenHash } from '../../src/runtime/core/ingest-token';
import { freshStore } from '../support/test-table';

const HASH_A = ingestTokenHash('token-a');
const HASH_B = ingestTokenHash('token-b');

function cursorOf(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('DynamoDeploymentStore', () => {
  let store: Store;
  let clock: ManualClock;

  beforeEach(async () => {
    clock = new ManualClock();
    ({ store } = await freshStore(clock));
  });

  /** Create `id` and drive it through `path` (statuses after queued). */
  async function createIn(id: string, path: DeploymentStatus[] = []): Promise<Deployment> {
    await store.deployments.create(queuedDeployment(id, 'web', 'prod'));
    let current = (await store.deployments.get(id))!;
    for (const status of path) current = await store.deployments.transition(id, status);
    return current;
  }

  describe('create and get', () => {
    test('get returns exactly what was created, without key attributes', async () => {
      const deployment = queuedDeployment(depId(1), 'web', 'prod', {
        action: 'promote', trigger: { kind: 'promotion', actor: 'alice', sourceDeploymentId: depId(0) },
      });
      await store.deployments.create(deployment);
      expect(await store.deployments.get(deployment.id)).toEqual(deployment);
    });

    test('get of an unknown id is undefined', async () => {
      expect(await store.deployments.get(depId(404))).toBeUndefined();
    });

    test('create with an existing id is a ConflictError and keeps the first deployment', async () => {
      const first = queuedDeployment(depId(1), 'web', 'prod');
      await store.deployments.create(first);
      const second = { ...first, environment: 'dev', commit: 'b'.repeat(40) };
      const error = await store.deployments.create(second).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect(error).not.toBeInstanceOf(IllegalTransitionError);
      expect(await store.deployments.get(first.id)).toEqual(first);
      // The rejected copy did not reach the other environment's index either.
      expect((await store.deployments.listByEnvironment('web', 'dev')).items).toEqual([]);
    });
  });

  describe('listByEnvironment', () => {
    const mine = [1, 2, 3, 4, 5].map(depId);

    beforeEach(async () => {
      // Created out of order, interleaved with other environments' deployments.
      for (const n of [3, 1, 5, 2, 4]) {
        await store.deployments.create(queuedDeployment(depId(n), 'web', 'prod'));
        await store.deployments.create(queuedDeployment(depId(n + 100), 'web', 'staging'));
      }
      await store.deployments.create(queuedDeployment(depId(200), 'api', 'prod'));
      await store.deployments.create(queuedDeployment(depId(201), 'web', 'prod2'));
    });

    test('one page holds only that environment, newest first', async () => {
      const page = await store.deployments.listByEnvironment('web', 'prod');
      expect(page.items.map(d => d.id)).toEqual([...mine].reverse());
      expect(page.items.every(d => d.application === 'web' && d.environment === 'prod')).toBe(true);
      expect(page.cursor).toBeUndefined();
      expect(page.items[0]).not.toHaveProperty('GSI1PK');
    });

    test('limit 2 pages through all five once each, following the cursor', async () => {
      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = await store.deployments.listByEnvironment('web', 'prod', { limit: 2, cursor });
        pages.push(page.items.map(d => d.id));
        cursor = page.cursor;
      } while (cursor && pages.length < 10);

      expect(pages.map(p => p.length)).toEqual([2, 2, 1]);
      const all = pages.flat();
      expect(new Set(all).size).toBe(all.length);
      expect(all).toEqual([...mine].reverse());
    });

    test('a limit that is not a number falls back to the default page size', async () => {
      for (const limit of [NaN, Infinity, -3]) {
        const page = await store.deployments.listByEnvironment('web', 'prod', { limit });
        expect(page.items.length).toBe(limit === -3 ? 1 : mine.length);
      }
    });

    test('an unknown environment has an empty page', async () => {
      expect(await store.deployments.listByEnvironment('web', 'nope')).toEqual({ items: [] });
    });

    test('a garbage cursor is a ValidationError', async () => {
      for (const cursor of ['not a cursor', '!!!', '', cursorOf('just a string'), cursorOf(null), cursorOf([1, 2])]) {
        await expect(store.deployments.listByEnvironment('web', 'prod', { cursor })).rejects.toBeInstanceOf(ValidationError);
      }
    });

    test('a cursor from another environment is a ValidationError, not a way into its list', async () => {
      const other = await store.deployments.listByEnvironment('web', 'staging', { limit: 2 });
      expect(other.cursor).toBeDefined();
      await expect(store.deployments.listByEnvironment('web', 'prod', { limit: 2, cursor: other.cursor }))
        .rejects.toBeInstanceOf(ValidationError);
    });

    test('a forged cursor naming this environment but not a key this list returned is a ValidationError', async () => {
      const first = await store.deployments.listByEnvironment('web', 'prod', { limit: 2 });
      const real = JSON.parse(Buffer.from(first.cursor!, 'base64url').toString('utf8')) as Record<string, string>;
      const forged = [
        { GSI1PK: real.GSI1PK },
        { ...real, GSI1SK: 7 },
        { ...real, extra: 'x' },
        { GSI1PK: real.GSI1PK, GSI1SK: real.GSI1SK },
        { PK: real.PK, SK: real.SK, GSI1SK: real.GSI1SK },
      ];
      for (const key of forged) {
        await expect(store.deployments.listByEnvironment('web', 'prod', { limit: 2, cursor: cursorOf(key) }))
          .rejects.toBeInstanceOf(ValidationError);
      }
    });

    test('a tampered but well-formed cursor still lists only this environment', async () => {
      const first = await store.deployments.listByEnvironment('web', 'prod', { limit: 2 });
      const real = JSON.parse(Buffer.from(first.cursor!, 'base64url').toString('utf8')) as Record<string, string>;
      for (const key of [{ ...real, PK: 'CONFIG', SK: 'APP#web' }, { ...real, GSI1SK: 'zzz' }, { ...real, GSI1SK: 'DEP#' }]) {
        const page = await store.deployments.listByEnvironment('web', 'prod', { limit: 10, cursor: cursorOf(key) });
        expect(page.items.every(d => mine.includes(d.id))).toBe(true);
      }
    });
  });

  describe('transition', () => {
    test('queued -> running sets startedAt, updatedAt and the task id', async () => {
      const id = depId(1);
      await createIn(id);
      clock.advanceSeconds(5);
      const running = await store.deployments.transition(id, 'running', { taskId: 'arn:aws:ecs:task/1' });
      const at = new Date(clock.at).toISOString();
      expect(running).toMatchObject({ id, status: 'running', startedAt: at, updatedAt: at, taskId: 'arn:aws:ecs:task/1' });
      expect(running.finishedAt).toBeUndefined();
      expect(running).not.toHaveProperty('PK');
      expect(await store.deployments.get(id)).toEqual(running);
    });

    test('running -> succeeded sets finishedAt and keeps startedAt', async () => {
      const id = depId(1);
      const running = await createIn(id, ['running']);
      clock.advanceSeconds(60);
      const done = await store.deployments.transition(id, 'succeeded', { reason: 'deployed' });
      const at = new Date(clock.at).toISOString();
      expect(done).toMatchObject({ status: 'succeeded', startedAt: running.startedAt, finishedAt: at, updatedAt: at, reason: 'deployed' });
      expect(done.startedAt).not.toBe(done.finishedAt);
      expect(await store.deployments.get(id)).toEqual(done);
    });

    test('queued -> superseded finishes without starting', async () => {
      const id = depId(1);
      await createIn(id);
      const done = await store.deployments.transition(id, 'superseded', { reason: `superseded by ${depId(2)}` });
      expect(done).toMatchObject({ status: 'superseded', reason: `superseded by ${depId(2)}` });
      expect(done.finishedAt).toBeDefined();
      expect(done.startedAt).toBeUndefined();
    });

    const illegal: Array<[string, DeploymentStatus[], DeploymentStatus]> = [
      ['succeeded -> running', ['running', 'succeeded'], 'running'],
      ['queued -> succeeded', [], 'succeeded'],
      ['running -> running', ['running'], 'running'],
      ['superseded -> running', ['superseded'], 'running'],
      ['failed -> cancelled', ['failed'], 'cancelled'],
      ['cancelled -> failed', ['cancelled'], 'failed'],
      ['queued -> queued', [], 'queued'],
      ['running -> queued', ['running'], 'queued'],
      ['succeeded -> queued', ['running', 'succeeded'], 'queued'],
      ['superseded -> queued', ['superseded'], 'queued'],
    ];
    test.each(illegal)('%s is refused with IllegalTransitionError and the item is unchanged', async (_, path, to) => {
      const id = depId(1);
      const before = await createIn(id, path);
      clock.advanceSeconds(1);
      const error = await store.deployments.transition(id, to, { reason: 'should not be written', taskId: 'nope' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IllegalTransitionError);
      expect(error).toMatchObject({ deploymentId: id, from: before.status, to });
      expect(await store.deployments.get(id)).toEqual(before);
    });

    test('a missing deployment is a NotFoundError, for a conditional and a never-legal target alike', async () => {
      for (const to of ['running', 'succeeded', 'queued'] as const) {
        await expect(store.deployments.transition(depId(404), to)).rejects.toBeInstanceOf(NotFoundError);
      }
      // The conditional write must not have created an item.
      expect(await store.deployments.get(depId(404))).toBeUndefined();
    });

    test('two concurrent transitions from running: exactly one wins and the stored status is the winner', async () => {
      for (let round = 0; round < 5; round++) {
        const id = depId(round);
        await createIn(id, ['running']);
        const results = await Promise.allSettled([
          store.deployments.transition(id, 'succeeded', { reason: 'ok' }),
          store.deployments.transition(id, 'failed', { reason: 'boom' }),
        ]);
        const won = results.filter((r): r is PromiseFulfilledResult<Deployment> => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect(lost[0].reason).toBeInstanceOf(IllegalTransitionError);
        expect(lost[0].reason).toMatchObject({ from: won[0].value.status });
        const stored = await store.deployments.get(id);
        expect(stored).toEqual(won[0].value);
        expect(stored?.reason).toBe(won[0].value.status === 'succeeded' ? 'ok' : 'boom');
      }
    });

    test('ten concurrent queued -> running: exactly one starts', async () => {
      const id = depId(1);
      await createIn(id);
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.deployments.transition(id, 'running', { taskId: `task-${i}` })));
      const won = results.filter((r): r is PromiseFulfilledResult<Deployment> => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      expect(results.filter(r => r.status === 'rejected').every(r => (r as PromiseRejectedResult).reason instanceof IllegalTransitionError)).toBe(true);
      expect((await store.deployments.get(id))?.taskId).toBe(won[0].value.taskId);
    });
  });

  describe('attachTask', () => {
    test('records the task once; the same task and token again (a repeated launch) is accepted, another is a ConflictError', async () => {
      const id = depId(1);
      await createIn(id, ['running']);
      await store.deployments.attachTask(id, 'task-a', HASH_A);
      await store.deployments.attachTask(id, 'task-a', HASH_A);
      await expect(store.deployments.attachTask(id, 'task-b', HASH_A)).rejects.toThrow(ConflictError);
      await expect(store.deployments.attachTask(id, 'task-a', HASH_B)).rejects.toThrow(ConflictError);
      expect(await store.deployments.get(id)).toMatchObject({ status: 'running', taskId: 'task-a' });
      expect(await store.deployments.logBinding(id)).toEqual({ status: 'running', taskId: 'task-a', ingestTokenHash: HASH_A });
    });

    test('the token hash is never part of a Deployment (get, list, transition), only of logBinding', async () => {
      const id = depId(1);
      await createIn(id, ['running']);
      expect(await store.deployments.logBinding(id)).toEqual({ status: 'running' });
      await store.deployments.attachTask(id, 'task-a', HASH_A);
      const moved = await store.deployments.transition(id, 'succeeded');
      const listed = (await store.deployments.listByEnvironment('web', 'prod')).items;
      for (const deployment of [await store.deployments.get(id), moved, ...listed]) {
        expect(JSON.stringify(deployment)).not.toContain(HASH_A);
      }
      expect(await store.deployments.logBinding(id)).toEqual({ status: 'succeeded', taskId: 'task-a', ingestTokenHash: HASH_A });
      expect(await store.deployments.logBinding(depId(404))).toBeUndefined();
    });

    test('a deployment that is not running (queued, or cancelled while its task started) takes no task', async () => {
      await createIn(depId(1));
      await createIn(depId(2), ['running', 'cancelled']);
      for (const id of [depId(1), depId(2)]) {
        await expect(store.deployments.attachTask(id, 'task-a', HASH_A)).rejects.toThrow(ConflictError);
        expect((await store.deployments.get(id))?.taskId).toBeUndefined();
      }
    });
  });
});
