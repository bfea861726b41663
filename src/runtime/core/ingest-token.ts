import { randomBytes } from 'crypto';
import { matchesDigest, secretDigest } from './secret-digest';

/**
 * What binds a build's log records to the build. The live path: a token issued per deployment
 * at launch, given to its task only, of which the deployment keeps the SHA-256; a batch is
 * stored only with the token. The archive path: the log stream's task, which must be the task
 * recorded on the deployment. Both are checked in logs/ingest-bound.ts.
 */

/** 32 random bytes, base64url: what the launcher gives one deployment's task. */
export function newIngestToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What the deployment keeps of its token (hex SHA-256): enough to check it, useless to send. */
export function ingestTokenHash(token: string): string {
  return secretDigest(token);
}

/** Whether `token` is the one whose hash is `hash`, in constant time over equal-length digests. */
export function ingestTokenMatches(token: unknown, hash: string | undefined): boolean {
  if (typeof token !== 'string' || token === '' || hash === undefined) return false;
  return matchesDigest(token, hash);
}

/**
 * The task id in an executor handle: the last segment of an ECS task ARN
 * (`arn:aws:ecs:<region>:<account>:task/<cluster>/<id>`), or the handle itself (local mode).
 */
export function taskIdOf(handle: string): string {
  return handle.slice(handle.lastIndexOf('/') + 1);
}

/**
 * The task that wrote a build log stream: the awslogs driver names it
 * `<streamPrefix>/<container>/<ecs task id>` (`build/builder/<id>`). Undefined when the name
 * has no task id in it.
 */
export function logStreamTaskId(logStream: string): string | undefined {
  const id = taskIdOf(logStream);
  return id === '' || id === logStream ? undefined : id;
}
