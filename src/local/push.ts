import { execFileSync } from 'child_process';
import { createHmac, randomUUID } from 'crypto';
import { DataDir } from './data-dir';
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
 * What a `git push` to GitHub amounts to, on this machine: commit everything in the app's
 * local repository on `branch` (an empty commit when nothing changed), then send a
 * GitHub-shaped push webhook signed with the local webhook secret to the running server.
 */
export async function pushCommit(options: PushOptions): Promise<PushResult> {
  const info = options.data.readServerInfo();
  const app = Object.prototype.hasOwnProperty.call(info.applications, options.application) ? info.applications[options.application] : undefined;
  if (!app) throw new Error(`no application '${options.application}' in the running local server; it has: ${Object.keys(info.applications).join(', ')}`);
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
