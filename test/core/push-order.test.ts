import { Ordered, compareRequests, pushOrder, successor, undecided } from '../../src/runtime/core/push-order';
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

describe('the push rule through the branch\'s recorded pushes', () => {
  /** Pushes of commits 1..n, each on the one before, all in one second with one commit time: only the chain orders them. */
  const sameSecond = { pushedAt: '2026-12-05T10:00:01.000Z', committedAt: '2026-12-05T10:00:00.000Z' };
  const chain = (n: number) => pushed(n, n, { before: sha(n - 1), ...sameSecond });

  test('two pushes with pushes recorded between them are ordered by the chain, in either direction and request order', () => {
    const history = [2, 3, 4, 5].map(chain);
    expect(compareRequests(chain(2), chain(5), history)).toMatchObject({ newer: 'other', by: 'chain' });
    expect(compareRequests(chain(5), chain(2), history)).toMatchObject({ newer: 'candidate', by: 'chain' });
    expect(compareRequests(chain(2), chain(5), history).why).toBe(`the branch's pushes lead from ${sha(2).slice(0, 12)} to ${sha(5).slice(0, 12)}`);
  });

  test('a gap in the recorded pushes leaves them unordered: a guess the lock rule may put off', () => {
    const history = [2, 3, 5].map(chain); // the push of 4 has not arrived
    const verdict = compareRequests(chain(2), chain(5), history);
    expect(verdict).toMatchObject({ by: 'request' });
    expect(undecided(chain(2), chain(5), verdict)).toBe(true);
    // Another branch, or a manual deploy: request order is the rule, not a guess.
    const manual: Ordered = { id: id(9), commit: sha(7), branch: 'main', trigger: { kind: 'manual' } };
    expect(undecided(manual, chain(5), compareRequests(manual, chain(5), history))).toBe(false);
  });

  test('pushes of other branches and repositories are not links', () => {
    const otherBranch = [3, 4].map(n => pushed(n, n, { before: sha(n - 1), ...sameSecond }, { branch: 'feature' }));
    expect(compareRequests(chain(2), chain(5), [...otherBranch, chain(2), chain(5)])).toMatchObject({ by: 'request' });
  });

  test('a push made on top of a commit is its successor; the newest push has none', () => {
    const history = [2, 3, 5].map(chain);
    expect(successor(chain(2), history)?.id).toBe(id(3));
    expect(successor(chain(3), history)).toBeUndefined(); // the push of 4 is not recorded yet
    expect(successor(chain(5), history)).toBeUndefined();
  });

  test('where a forced push rewrote the branch, only the direct link and times order (no loop, no false successor)', () => {
    // 1 → 2 → 3, then forced back 3 → 1, then 1 → 4 on top of the rewound branch.
    const two = pushed(2, 2, { before: sha(1), ...sameSecond });
    const three = pushed(3, 3, { before: sha(2), ...sameSecond });
    const rewind = pushed(4, 1, { before: sha(3), ...sameSecond, forced: true });
    const four = pushed(5, 4, { before: sha(1), ...sameSecond });
    const history = [two, three, rewind, four];
    // The rewind's commit (1) has a push on it from before the rewind (1 → 2): not its successor.
    expect(successor(rewind, history)).toBeUndefined();
    // 2 was pushed on top of by 3 (before the rewind): a successor all the same.
    expect(successor(two, history)?.id).toBe(three.id);
    // 4 follows the rewind directly; 3 was rewritten away: no chain through the rewind.
    expect(compareRequests(four, rewind, history)).toMatchObject({ newer: 'candidate', by: 'chain' });
    expect(pushOrder(four, three, history)).toBeUndefined();
  });
});
