import { Ordered, compareRequests, pushOrder } from '../../src/runtime/core/push-order';
import { PushPosition } from '../../src/runtime/core/types';

const sha = (n: number) => n.toString(16).padStart(40, '0');
/** Ids in request order: a greater n is a later request. */
const id = (n: number) => `20261205T1000000${String(n).padStart(2, '0')}Z-0000000${n % 10}`;

function pushed(n: number, commit: number, position: Partial<PushPosition> & { before: string }, extra: Partial<Ordered> = {}): Ordered {
  return { id: id(n), commit: sha(commit), branch: 'main', repository: 'acme/shop', trigger: { kind: 'push' }, push: position, ...extra };
}

describe('the push rule', () => {
  test('the before → after chain is exact, whatever the request order', () => {
    // Push of commit 2 (1 → 2) recorded after the push of commit 3 (2 → 3): the chain says 3 is newer.
    const three = pushed(1, 3, { before: sha(2) });
    const two = pushed(2, 2, { before: sha(1) });
    expect(compareRequests(two, three)).toMatchObject({ newer: 'other', by: 'chain' });
    expect(compareRequests(three, two)).toMatchObject({ newer: 'candidate', by: 'chain' });
    expect(compareRequests(two, three).why).toBe(`its push moved the branch on from ${sha(2).slice(0, 12)} to ${sha(3).slice(0, 12)}`);
  });

  test('the chain wins over times that disagree with it', () => {
    const three = pushed(1, 3, { before: sha(2), pushedAt: '2026-12-05T10:00:00.000Z', committedAt: '2026-12-05T09:00:00.000Z' });
    const two = pushed(2, 2, { before: sha(1), pushedAt: '2026-12-05T10:00:09.000Z', committedAt: '2026-12-05T09:59:00.000Z' });
    expect(compareRequests(two, three)).toMatchObject({ newer: 'other', by: 'chain' });
  });

  test('without a link: pushed_at when the seconds differ, then the head commit times', () => {
    const five = pushed(1, 5, { before: sha(4), pushedAt: '2026-12-05T10:00:02.000Z', committedAt: '2026-12-05T09:00:00.000Z' });
    const three = pushed(2, 3, { before: sha(2), pushedAt: '2026-12-05T10:00:01.000Z', committedAt: '2026-12-05T09:30:00.000Z' });
    expect(compareRequests(three, five)).toMatchObject({ newer: 'other', by: 'pushed-at' });
    const sameSecond = { pushedAt: '2026-12-05T10:00:01.000Z' };
    const later = pushed(1, 5, { before: sha(4), ...sameSecond, committedAt: '2026-12-05T09:00:05.000Z' });
    const earlier = pushed(2, 3, { before: sha(2), ...sameSecond, committedAt: '2026-12-05T09:00:03.000Z' });
    expect(compareRequests(earlier, later)).toMatchObject({ newer: 'other', by: 'commit-time' });
    expect(compareRequests(later, earlier)).toMatchObject({ newer: 'candidate', by: 'commit-time' });
  });

  test('a forced push is not judged by its commit time (it may deploy an older commit on purpose)', () => {
    const sameSecond = { pushedAt: '2026-12-05T10:00:01.000Z' };
    const rewind = pushed(2, 1, { before: sha(9), ...sameSecond, committedAt: '2026-12-05T08:00:00.000Z', forced: true });
    const other = pushed(1, 5, { before: sha(4), ...sameSecond, committedAt: '2026-12-05T09:00:00.000Z' });
    // No link, same second, one forced: request order (the rewind was recorded later).
    expect(compareRequests(rewind, other)).toMatchObject({ newer: 'candidate', by: 'request' });
    // A forced push back to an older commit that follows the deployed one by the chain is newer.
    const deployed = pushed(1, 9, { before: sha(8) });
    expect(compareRequests(pushed(0, 1, { before: sha(9), forced: true }), deployed)).toMatchObject({ newer: 'candidate', by: 'chain' });
  });

  test('a push back and forth (each names the other) decides nothing by the chain', () => {
    const there = pushed(1, 2, { before: sha(1) });
    const back = pushed(2, 1, { before: sha(2), forced: true });
    expect(pushOrder(back, there)).toBeUndefined();
    expect(compareRequests(back, there)).toMatchObject({ newer: 'candidate', by: 'request' });
  });

  test('manual deploys, promotions and rollbacks, other branches and other repositories: request order', () => {
    const push = pushed(1, 5, { before: sha(4) });
    const rollback: Ordered = { id: id(2), commit: sha(4), branch: 'main', repository: 'acme/shop', trigger: { kind: 'rollback' } };
    expect(compareRequests(rollback, push)).toMatchObject({ newer: 'candidate', by: 'request' });
    const manual: Ordered = { id: id(0), commit: sha(6), branch: 'main', trigger: { kind: 'manual' } };
    expect(compareRequests(manual, push)).toMatchObject({ newer: 'other', by: 'request' });
    expect(pushOrder(pushed(2, 4, { before: sha(3) }, { branch: 'feature' }), push)).toBeUndefined();
    expect(pushOrder(pushed(2, 4, { before: sha(3) }, { repository: 'acme/other' }), push)).toBeUndefined();
    // The same repository in another case is the same repository (GitHub's names are case-insensitive).
    expect(pushOrder(pushed(2, 4, { before: sha(3) }, { repository: 'Acme/Shop' }), pushed(1, 5, { before: sha(4) }))).toMatchObject({ newer: 'other', by: 'chain' });
    // An id alone (no push known) is request order.
    expect(compareRequests({ id: id(3) }, push)).toMatchObject({ newer: 'candidate', by: 'request' });
  });
});
