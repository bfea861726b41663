import { execFile } from 'child_process';
import { promisify } from 'util';

const run = promisify(execFile);

export interface CommitInfo {
  readonly sha: string;
  readonly message: string;
  readonly authorName: string;
  readonly authorEmail: string;
  /** ISO 8601 with the author's offset, as git prints it. */
  readonly timestamp: string;
}

/** 40 zeros: the `before` of a branch's first push, the `after` of its deletion. */
export const NO_COMMIT = '0'.repeat(40);

/** A ref that cannot be taken for an option or a range: names, SHAs, `refs/...`. */
const SAFE_REF = /^[A-Za-z0-9_./-]{1,255}$/;

async function git(path: string, ...args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await run('git', ['-C', path, ...args], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch {
    return undefined;
  }
}

/** The commit a ref (branch, tag, SHA) names in the repository at `path`, or undefined. */
export async function commitOf(path: string, ref: string): Promise<CommitInfo | undefined> {
  if (!SAFE_REF.test(ref) || ref.startsWith('-') || ref.includes('..')) return undefined;
  const out = await git(path, 'log', '-1', '--format=%H%x00%an%x00%ae%x00%aI%x00%B', '--end-of-options', `${ref}^{commit}`, '--');
  if (!out) return undefined;
  const [sha, authorName, authorEmail, timestamp, message] = out.split('\0');
  return sha ? { sha, authorName, authorEmail, timestamp, message: (message ?? '').replace(/\n+$/, '') } : undefined;
}

/** The commits of a push from `before` to `after`, oldest first (at most 20, as GitHub's payload). */
export async function pushedCommits(path: string, before: string, after: string): Promise<CommitInfo[]> {
  if (after === NO_COMMIT) return [];
  const range = before === NO_COMMIT ? [after] : [`${before}..${after}`];
  const out = await git(path, 'rev-list', '--reverse', '--max-count=20', '--end-of-options', ...range, '--');
  const commits = await Promise.all((out ?? '').split('\n').filter(Boolean).map(sha => commitOf(path, sha)));
  return commits.filter((commit): commit is CommitInfo => commit !== undefined);
}

/** `before` is not an ancestor of `after`: history was rewritten. */
export async function isForced(path: string, before: string, after: string): Promise<boolean> {
  if (before === NO_COMMIT || after === NO_COMMIT) return false;
  return await git(path, 'merge-base', '--is-ancestor', before, after) === undefined;
}
