import { execFileSync } from 'child_process';
import { createHmac, randomUUID } from 'crypto';
import { DataDir, ServerInfo } from './data-dir';
import { LOCAL_GIT_IDENTITY } from './local-mode';

export interface PushOptions {
  readonly data: DataDir;
  readonly application: string;
  readonly branch: string;
  /** @default "Push from trellis at <time>" */
  readonly message?: string;
}

export interface PushResult {
  readonly commit: string;
  readonly statusCode: number;
  /** The webhook's JSON answer (deployments queued, ignored reasons). */
  readonly answer: { deployments?: Array<{ id: string; application: string; environment: string }>; ignored?: string[]; reason?: string };
}

const ZERO_SHA = '0'.repeat(40);

/**
 * What a `git push` to GitHub amounts to, on this machine: commit everything in the local
 * repository on `branch` (an empty commit when nothing changed), then let the webhook know. A
 * repository the GitHub stand-in hosts is pushed through it, as to GitHub: the stand-in delivers
 * the push to the GitHub App's webhook, signed with the App's secret, when the App is installed
 * on it. Otherwise (no App yet, or not installed there) the push is sent straight to the local
 * server, signed with the installation's own webhook secret, as a hand-made webhook would be.
 * `application` is an application of the config file, or a hosted repository as `owner/repo`.
 */
export async function pushCommit(options: PushOptions): Promise<PushResult> {
  const info = options.data.readServerInfo();
  const app = pushTarget(info, options.application);
  const git = gitIn(app.path);
  try {
    git('check-ref-format', '--branch', options.branch);
  } catch {
    throw new Error(`'${options.branch}' is not a valid branch name`);
  }

  const current = git('symbolic-ref', '--short', '-q', 'HEAD', { allowFailure: true });
  if (current !== options.branch) {
    const exists = git('rev-parse', '--verify', '--quiet', `refs/heads/${options.branch}`, { allowFailure: true }) !== '';
    git('checkout', '-q', ...(exists ? [] : ['-b']), options.branch);
  }
  const before = git('rev-parse', '--verify', '--quiet', 'HEAD', { allowFailure: true }) || ZERO_SHA;
  git('add', '-A');
  git('commit', '-q', '--allow-empty', '-m', options.message ?? `Push from trellis at ${new Date().toISOString()}`);
  const after = git('rev-parse', 'HEAD');
  const [message, name, email, timestamp] = git('log', '-1', '--format=%B%x00%an%x00%ae%x00%aI', after).split('\u0000');

  const [owner, repoName] = app.repository.split('/');
  const commit = {
    id: after,
    tree_id: git('rev-parse', `${after}^{tree}`),
    distinct: true,
    message: message.trim(),
    timestamp,
    url: `file://${app.path}`,
    author: { name, email },
    committer: { name, email },
    added: [],
    removed: [],
    modified: [],
  };
  const payload = {
    ref: `refs/heads/${options.branch}`,
    before,
    after,
    created: before === ZERO_SHA,
    deleted: false,
    forced: false,
    base_ref: null,
    compare: `file://${app.path}`,
    commits: [commit],
    head_commit: commit,
    repository: {
      name: repoName,
      full_name: app.repository,
      private: true,
      owner: { login: owner, name: owner },
      html_url: `file://${app.path}`,
      clone_url: `file://${app.path}`,
      default_branch: 'main',
      pushed_at: Math.floor(Date.now() / 1000), // Unix seconds, as GitHub sends it in push events
    },
    pusher: { name, email },
    sender: { login: name },
  };
  const hosted = info.github?.repositories[app.repository] !== undefined;
  const viaGitHub = hosted ? await pushThroughStandIn(info.github!.url, app.repository, { ref: payload.ref, before, after }) : undefined;
  if (viaGitHub) return { commit: after, ...viaGitHub };

  const body = JSON.stringify(payload);
  const signature = `sha256=${createHmac('sha256', options.data.webhookSecret()).update(body).digest('hex')}`;
  const response = await fetch(info.webhookUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/trellis-local',
      'x-github-event': 'push',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': signature,
    },
    body,
  });
  const answer = await response.json().catch(() => ({ reason: `the server answered ${response.status} without JSON` })) as PushResult['answer'];
  return { commit: after, statusCode: response.status, answer };
}

/** The application's repository and path, or a repository the stand-in hosts, named `owner/repo`. */
function pushTarget(info: ServerInfo, name: string): { repository: string; path: string } {
  const own = (record: object | undefined, key: string) => record !== undefined && Object.prototype.hasOwnProperty.call(record, key);
  if (own(info.applications, name)) return info.applications[name];
  if (own(info.github?.repositories, name)) return { repository: name, path: info.github!.repositories[name] };
  const hosted = Object.keys(info.github?.repositories ?? {});
  throw new Error(`no application or repository '${name}' in the running local server; applications: ${Object.keys(info.applications).join(', ') || 'none'}`
    + `${hosted.length > 0 ? `; repositories: ${hosted.join(', ')}` : ''}`);
}

/**
 * The push, told to the stand-in as GitHub learns of a push: its delivery's status and the
 * webhook's answer; undefined when the stand-in delivers nothing (no App, or not installed there).
 */
async function pushThroughStandIn(standInUrl: string, repository: string, push: { ref: string; before: string; after: string })
  : Promise<Omit<PushResult, 'commit'> | undefined> {
  const response = await fetch(`${standInUrl}/_stand-in/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ repository, ...push }),
  });
  if (response.status === 422) return undefined;
  if (!response.ok) throw new Error(`the GitHub stand-in answered ${response.status} to the push`);
  const delivered = await response.json() as { status_code: number; response: unknown };
  const answer = typeof delivered.response === 'object' && delivered.response !== null
    ? delivered.response as PushResult['answer']
    : { reason: `the webhook answered ${delivered.status_code} without JSON` };
  return { statusCode: delivered.status_code, answer };
}

type Git = (...args: Array<string | { allowFailure: boolean }>) => string;

/** git in `dir` with arguments as a vector; the machine's identity if it has one, else local mode's. */
function gitIn(dir: string): Git {
  let identity: Record<string, string> | undefined;
  const run = (args: string[], env: NodeJS.ProcessEnv) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: 'pipe', env }).trim();
  return (...args) => {
    const allowFailure = args.some(arg => typeof arg === 'object' && arg.allowFailure);
    const argv = args.filter((arg): arg is string => typeof arg === 'string');
    identity ??= hasIdentity(run) ? {} : LOCAL_GIT_IDENTITY;
    try {
      return run(argv, { ...process.env, ...identity });
    } catch (error) {
      if (allowFailure) return '';
      const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
      throw new Error(`git ${argv.join(' ')} in ${dir} failed${stderr ? `: ${stderr}` : ''}`);
    }
  };
}

function hasIdentity(run: (args: string[], env: NodeJS.ProcessEnv) => string): boolean {
  if (process.env.GIT_AUTHOR_EMAIL && process.env.GIT_COMMITTER_EMAIL) return true;
  try {
    return run(['config', 'user.email'], process.env) !== '' && run(['config', 'user.name'], process.env) !== '';
  } catch {
    return false;
  }
}
