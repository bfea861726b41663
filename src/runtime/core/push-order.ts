import { isNewer } from './deployment-ids';
import { Deployment } from './types';

/** What the lock rule needs to know of a deployment to order it against another. */
export type Ordered = Pick<Deployment, 'id'> & Partial<Pick<Deployment, 'commit' | 'branch' | 'repository' | 'trigger' | 'push'>>;

/** Which of two deployments is the newer request, and by which rule. */
export interface Verdict {
  readonly newer: 'candidate' | 'other';
  /**
   * `chain`: one push's `before` is the other's commit (exact); `pushed-at`: GitHub received them
   * in different seconds; `commit-time`: their head commits' timestamps differ; `request`: the
   * deployment ids (the order the requests were recorded in).
   */
  readonly by: 'chain' | 'pushed-at' | 'commit-time' | 'request';
  /** Why, for a superseded deployment's reason ("" for request order). */
  readonly why: string;
}

/**
 * Is `candidate` a newer request than `other`? Between two push-triggered deployments of the same
 * repository and branch, the order of the pushes as GitHub signed them:
 *
 * 1. the `before` → `after` chain: a push whose `before` is the other's commit came after it
 *    (exact; when each names the other's commit, a force-push back and forth, it decides nothing),
 *    directly or through the branch's other recorded pushes (`history`, see `linked`);
 * 2. `repository.pushed_at`, when the two differ (whole seconds);
 * 3. `head_commit.timestamp`, when they differ and neither push was forced (a forced push may
 *    deploy an older commit on purpose).
 *
 * Otherwise (and for manual deploys, promotions, rollbacks, which keep their explicit intent)
 * the request order: the greater deployment id. Where that is a guess about two pushes
 * (`undecided`), the lock rule asks again once more pushes may have arrived, and the builder
 * checks ancestry after the clone (see builder/run-build.ts).
 */
export function compareRequests(candidate: Ordered, other: Ordered, history: readonly Ordered[] = []): Verdict {
  return pushOrder(candidate, other, history)
    ?? { newer: isNewer(candidate.id, other.id) ? 'candidate' : 'other', by: 'request', why: '' };
}

/** The request order was only a guess: two pushes of one branch that nothing GitHub signed orders. */
export function undecided(candidate: Ordered, other: Ordered, verdict: Verdict): boolean {
  return verdict.by === 'request' && sameBranch(candidate, other) && candidate.commit !== other.commit;
}

/** The push rule alone: undefined when the two are not pushes of one branch, or their pushes do not tell. */
export function pushOrder(candidate: Ordered, other: Ordered, history: readonly Ordered[] = []): Verdict | undefined {
  const a = candidate.push;
  const b = other.push;
  if (!a || !b || !sameBranch(candidate, other)) return undefined;
  const aFollows = a.before === other.commit && candidate.commit !== other.commit;
  const bFollows = b.before === candidate.commit && candidate.commit !== other.commit;
  if (aFollows !== bFollows) {
    const [newer, older] = aFollows ? [candidate, other] : [other, candidate];
    return { newer: aFollows ? 'candidate' : 'other', by: 'chain', why: `its push moved the branch on from ${short(older.commit)} to ${short(newer.commit)}` };
  }
  if (!aFollows) {
    const graph = new PushGraph(history.filter(h => sameBranch(h, candidate)));
    const aLinked = graph.linked(candidate, other);
    if (aLinked !== graph.linked(other, candidate)) {
      const [newer, older] = aLinked ? [candidate, other] : [other, candidate];
      return { newer: aLinked ? 'candidate' : 'other', by: 'chain', why: `the branch's pushes lead from ${short(older.commit)} to ${short(newer.commit)}` };
    }
  }
  const pushed = later(a.pushedAt, b.pushedAt);
  if (pushed) return { newer: pushed, by: 'pushed-at', why: `it was pushed later (${(pushed === 'candidate' ? a : b).pushedAt})` };
  if (!a.forced && !b.forced) {
    const committed = later(a.committedAt, b.committedAt);
    if (committed) return { newer: committed, by: 'commit-time', why: `its commit is newer (${(committed === 'candidate' ? a : b).committedAt})` };
  }
  return undefined;
}

/**
 * A recorded push of the branch that was made on top of `deployment`'s commit (its `before` is
 * that commit): the branch has moved on, so this push is not the newest whatever arrives later.
 * Nothing is said where a forced push rewrote the branch to or from that commit.
 */
export function successor(deployment: Ordered, history: readonly Ordered[]): Ordered | undefined {
  if (!deployment.push || deployment.push.forced) return undefined;
  const graph = new PushGraph(history.filter(h => sameBranch(h, deployment)));
  if (graph.rewritten(deployment.commit)) return undefined;
  return graph.pushes.find(h => h.id !== deployment.id && !h.push!.forced
    && h.push!.before === deployment.commit && h.commit !== deployment.commit && h.commit !== deployment.push!.before);
}

/**
 * The branch's recorded pushes as links commit → the commit it was pushed on (`before`). Only
 * pushes that were not forced link, and a commit a forced push moved the branch to or from
 * links nothing: a rewritten branch may revisit a commit, and its links would form a loop.
 */
class PushGraph {
  readonly pushes: readonly Ordered[];
  private readonly parents = new Map<string, string[]>();
  private readonly forcedCommits = new Set<string>();

  constructor(history: readonly Ordered[]) {
    this.pushes = history.filter(h => h.push && h.commit);
    for (const h of this.pushes) {
      if (h.push!.forced) {
        this.forcedCommits.add(h.commit!);
        this.forcedCommits.add(h.push!.before);
      }
    }
    for (const h of this.pushes) {
      if (h.push!.forced || h.commit === h.push!.before) continue;
      this.parents.set(h.commit!, [...this.parents.get(h.commit!) ?? [], h.push!.before]);
    }
  }

  rewritten(commit: string | undefined): boolean {
    return commit !== undefined && this.forcedCommits.has(commit);
  }

  /** `newer` was pushed on a chain of recorded pushes that starts at `older`'s commit. */
  linked(newer: Ordered, older: Ordered): boolean {
    if (newer.push?.forced || older.push?.forced || this.rewritten(newer.commit) || this.rewritten(older.commit)) return false;
    const target = older.commit;
    const seen = new Set<string>();
    const frontier = [newer.push!.before];
    while (frontier.length > 0) {
      const commit = frontier.pop()!;
      if (commit === target) return true;
      if (seen.has(commit)) continue;
      seen.add(commit);
      frontier.push(...this.parents.get(commit) ?? []);
    }
    return false;
  }
}

/** Both push-triggered, for the same repository and branch. */
export function sameBranch(a: Ordered, b: Ordered): boolean {
  return a.trigger?.kind === 'push' && b.trigger?.kind === 'push'
    && a.branch !== undefined && a.branch === b.branch
    && (a.repository ?? '').toLowerCase() === (b.repository ?? '').toLowerCase();
}

function later(a: string | undefined, b: string | undefined): 'candidate' | 'other' | undefined {
  const [x, y] = [a === undefined ? NaN : Date.parse(a), b === undefined ? NaN : Date.parse(b)];
  if (Number.isNaN(x) || Number.isNaN(y) || x === y) return undefined;
  return x > y ? 'candidate' : 'other';
}

function short(commit: string | undefined): string {
  return (commit ?? '?').slice(0, 12);
}
