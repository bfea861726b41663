import { DeliverySummary } from '../core/ports';
import { PushEvent } from '../core/push-routing';

/**
 * The parts of GitHub's payloads Trellis uses, checked for shape: a payload that is
 * signed but not shaped like GitHub's is rejected, never half-used.
 */
export interface PushDetails {
  readonly push: PushEvent;
  readonly commitMessage?: string;
  readonly author?: string;
}

export class PayloadError extends Error {}

const SHA = /^[0-9a-f]{40}$/;
const MAX_MESSAGE = 500;

export function parsePush(payload: unknown): PushDetails {
  const body = object(payload, 'payload');
  const repository = object(body.repository, 'repository');
  const fullName = string(repository.full_name, 'repository.full_name');
  const ref = string(body.ref, 'ref');
  const after = string(body.after, 'after');
  if (!SHA.test(after)) throw new PayloadError("'after' is not a commit SHA");
  const head = body.head_commit === null || body.head_commit === undefined ? undefined : object(body.head_commit, 'head_commit');
  const author = head?.author === undefined ? undefined : object(head.author, 'head_commit.author');
  return {
    push: { repository: fullName, ref, deleted: body.deleted === true, headCommit: after },
    commitMessage: typeof head?.message === 'string' ? firstLine(head.message) : undefined,
    author: typeof author?.username === 'string' ? author.username : typeof author?.name === 'string' ? author.name : undefined,
  };
}

export function summarizePullRequest(payload: unknown): DeliverySummary {
  const body = object(payload, 'payload');
  const pr = object(body.pull_request, 'pull_request');
  const head = object(pr.head, 'pull_request.head');
  const number = body.number;
  if (typeof number !== 'number' || !Number.isInteger(number)) throw new PayloadError("'number' is not a pull request number");
  return {
    event: 'pull_request',
    action: string(body.action, 'action'),
    repository: string(object(body.repository, 'repository').full_name, 'repository.full_name'),
    ref: string(head.ref, 'pull_request.head.ref'),
    commit: string(head.sha, 'pull_request.head.sha'),
    pullRequest: number,
  };
}

function firstLine(message: string): string {
  const line = message.split('\n', 1)[0];
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE)}...` : line;
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new PayloadError(`'${path}' is missing or not an object`);
}

function string(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  throw new PayloadError(`'${path}' is missing or not a string`);
}
