import * as names from '../core/names';
import { isPlainObject } from '../core/plain-object';
import { DeliverySummary } from '../core/ports';
import { PullRequestEvent } from '../core/previews';
import { PushEvent } from '../core/push-routing';

/**
 * The parts of GitHub's payloads Trellis uses, checked for shape: a payload that is
 * signed but not shaped like GitHub's is rejected, never half-used.
 *
 * Names (repository, ref) must be what GitHub can send: they are matched, echoed and stored,
 * and a 1 MB "ref" would otherwise reach DynamoDB (400 KB items) as a 500. The commit message
 * and author are free text, data for display: kept as sent, only bounded in length.
 */
export interface PushDetails {
  readonly push: PushEvent;
  /** The branch's commit before the push: with `after`, what makes one push distinct from another. */
  readonly before?: string;
  readonly commitMessage?: string;
  readonly author?: string;
  /**
   * When GitHub received the push (`repository.pushed_at`: Unix seconds in push events), covered by
   * the signature like the rest of the body; absent in payloads that do not carry it.
   */
  readonly pushedAt?: Date;
  /** The head commit's own time (`head_commit.timestamp`); absent when the push has no head commit. */
  readonly committedAt?: Date;
  /** GitHub's `forced`: the push rewrote the branch (it may move it back to an older commit). */
  readonly forced: boolean;
}

export class PayloadError extends Error {}

const SHA = /^[0-9a-f]{40}$/;
const ACTION = /^[a-z_]{1,64}$/;
const MAX_MESSAGE = 500;
const MAX_AUTHOR = 100;

export function parsePush(payload: unknown): PushDetails {
  const body = object(payload, 'payload');
  const repository = object(body.repository, 'repository');
  const fullName = repositoryName(repository.full_name, 'repository.full_name');
  const ref = gitRef(body.ref, 'ref');
  const after = sha(body.after, 'after');
  const head = body.head_commit === null || body.head_commit === undefined ? undefined : object(body.head_commit, 'head_commit');
  const author = head?.author === undefined ? undefined : object(head.author, 'head_commit.author');
  const authorName = typeof author?.username === 'string' ? author.username : typeof author?.name === 'string' ? author.name : undefined;
  return {
    push: { repository: fullName, ref, deleted: body.deleted === true, headCommit: after },
    before: body.before === undefined || body.before === null ? undefined : sha(body.before, 'before'),
    commitMessage: typeof head?.message === 'string' ? clip(head.message.split('\n', 1)[0], MAX_MESSAGE) : undefined,
    author: authorName === undefined ? undefined : clip(authorName, MAX_AUTHOR),
    pushedAt: pushTime(repository.pushed_at),
    committedAt: head?.timestamp === undefined || head.timestamp === null ? undefined : commitTime(head.timestamp),
    forced: body.forced === true,
  };
}

/** `head_commit.timestamp`: ISO 8601 with its offset, as GitHub sends it. */
function commitTime(value: unknown): Date {
  const time = typeof value === 'string' && value.length <= 40 && /^\d{4}-\d{2}-\d{2}T/.test(value) ? new Date(value) : undefined;
  if (!time || Number.isNaN(time.getTime())) throw new PayloadError("'head_commit.timestamp' is not a time");
  return time;
}

/** GitHub sends Unix seconds in push events (ISO text elsewhere): either is accepted, anything else refused. */
function pushTime(value: unknown): Date | undefined {
  if (value === undefined || value === null) return undefined;
  const time = typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? new Date(value * 1000)
    : typeof value === 'string' && value.length <= 40 && /^\d{4}-\d{2}-\d{2}T/.test(value) ? new Date(value)
      : undefined;
  if (!time || Number.isNaN(time.getTime())) throw new PayloadError("'repository.pushed_at' is not a time");
  return time;
}

/**
 * A pull_request event as previews use it (core/previews.ts). The head repository is null in
 * GitHub's payload when the fork was deleted; the title and author are free text, bounded.
 */
export function parsePullRequest(payload: unknown): PullRequestEvent {
  const body = object(payload, 'payload');
  const pr = object(body.pull_request, 'pull_request');
  const head = object(pr.head, 'pull_request.head');
  const base = object(pr.base, 'pull_request.base');
  const number = body.number;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 1) throw new PayloadError("'number' is not a pull request number");
  const action = string(body.action, 'action');
  if (!ACTION.test(action)) throw new PayloadError("'action' is not a pull request action");
  const headRepo = head.repo === null || head.repo === undefined ? undefined : object(head.repo, 'pull_request.head.repo');
  const user = pr.user === null || pr.user === undefined ? undefined : object(pr.user, 'pull_request.user');
  return {
    action,
    number,
    title: typeof pr.title === 'string' ? clip(pr.title, MAX_MESSAGE) : undefined,
    author: typeof user?.login === 'string' ? clip(user.login, MAX_AUTHOR) : undefined,
    repository: repositoryName(object(body.repository, 'repository').full_name, 'repository.full_name'),
    baseRef: branch(base.ref, 'pull_request.base.ref'),
    headRepository: headRepo === undefined ? undefined : repositoryName(headRepo.full_name, 'pull_request.head.repo.full_name'),
    headRef: branch(head.ref, 'pull_request.head.ref'),
    headSha: sha(head.sha, 'pull_request.head.sha'),
    merged: pr.merged === true,
  };
}

/** What a pull_request delivery is recorded as, beside its id. */
export function summarizePullRequest(pr: PullRequestEvent): DeliverySummary {
  return { event: 'pull_request', action: pr.action, repository: pr.repository, ref: pr.headRef, commit: pr.headSha, pullRequest: pr.number };
}

function branch(value: unknown, path: string): string {
  const ref = string(value, path);
  const problem = names.branchName(ref);
  if (problem) throw new PayloadError(`'${path}' is not a branch: ${problem}`);
  return ref;
}

/**
 * At most `max` UTF-16 units plus '...', never cutting a surrogate pair; lone surrogates
 * (JSON allows them, UTF-8 does not) become U+FFFD here, so what is stored is what was kept.
 */
function clip(text: string, max: number): string {
  const end = text.length > max && /[\ud800-\udbff]/.test(text[max - 1]) ? max - 1 : max;
  return names.wellFormed(text.length > max ? `${text.slice(0, end)}...` : text);
}

function repositoryName(value: unknown, path: string): string {
  const name = string(value, path);
  const problem = names.repository(name);
  if (problem) throw new PayloadError(`'${path}' is not a GitHub repository name: ${problem}`);
  return name;
}

/** `refs/<kind>/<name>` where the part after `refs/` passes git's check-ref-format rules. */
function gitRef(value: unknown, path: string): string {
  const ref = string(value, path);
  const problem = ref.startsWith('refs/') ? names.branchName(ref.slice('refs/'.length)) : `'${names.printable(ref)}' does not start with refs/`;
  if (problem) throw new PayloadError(`'${path}' is not a git ref: ${problem}`);
  return ref;
}

function sha(value: unknown, path: string): string {
  const text = string(value, path);
  if (!SHA.test(text)) throw new PayloadError(`'${path}' is not a commit SHA`);
  return text;
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (isPlainObject(value)) return value;
  throw new PayloadError(`'${path}' is missing or not an object`);
}

function string(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  throw new PayloadError(`'${path}' is missing or not a string`);
}
