import { createHash } from 'crypto';
import { PushDetails } from './github-payload';

/**
 * The signature covers the body, not the X-GitHub-Delivery header, so a captured signed push
 * can be resent under a new delivery id. This key names the push itself (repository, ref,
 * before → after): recorded with a conditional write next to the delivery ids, a second
 * delivery of the same push finds it and deploys nothing.
 *
 * `before` is part of it so that a later, real push of an old commit (a force-push back to
 * it) still deploys; a replay carries the same `before` as the push it copies. The ':' keeps
 * it apart from GitHub's delivery ids, which the handler only accepts as [A-Za-z0-9-].
 */
export function pushReplayKey(details: PushDetails): string {
  const identity = JSON.stringify([details.push.repository.toLowerCase(), details.push.ref, details.before ?? null, details.push.headCommit ?? null]);
  return `push:${createHash('sha256').update(identity).digest('hex')}`;
}
