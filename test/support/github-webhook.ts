import { createHmac, randomUUID } from 'crypto';

/** GitHub's webhook signature: `sha256=` and the hex HMAC-SHA256 of the raw body bytes. */
export function githubSignature(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The headers GitHub sends with a push delivery, signed with `secret`. */
export function signedPushHeaders(secret: string, body: string | Buffer, delivery: string = randomUUID()): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-github-delivery': delivery,
    'x-hub-signature-256': githubSignature(secret, body),
  };
}

export interface PushOptions {
  /** The application's name (the repository's short name). */
  readonly app: string;
  /** owner/name */
  readonly repository: string;
  readonly before: string;
  readonly after: string;
  readonly message: string;
  /** The head commit's time, as GitHub states it (ISO 8601, whole seconds). */
  readonly timestamp: string;
  /** `repository.pushed_at`, Unix seconds. @default - not sent */
  readonly pushedAt?: number;
}

/** A push of one commit to main (before → after), shaped as GitHub sends it. */
export function pushPayload(options: PushOptions): Record<string, unknown> {
  const { repository, before, after } = options;
  const commit = {
    id: after,
    tree_id: after,
    distinct: true,
    message: options.message,
    timestamp: options.timestamp,
    url: `https://github.com/${repository}/commit/${after}`,
    author: { name: 'Test', email: 'test@example.invalid', username: 'test' },
    committer: { name: 'Test', email: 'test@example.invalid', username: 'test' },
    added: [],
    removed: [],
    modified: [],
  };
  return {
    ref: 'refs/heads/main',
    before,
    after,
    created: false,
    deleted: false,
    forced: false,
    base_ref: null,
    compare: `https://github.com/${repository}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
    commits: [commit],
    head_commit: commit,
    repository: { name: options.app, full_name: repository, private: true, default_branch: 'main', ...options.pushedAt !== undefined && { pushed_at: options.pushedAt } },
    pusher: { name: 'test', email: 'test@example.invalid' },
    sender: { login: 'test' },
  };
}
