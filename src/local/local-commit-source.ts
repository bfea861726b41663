import { execFile } from 'child_process';
import { isAbsolute, resolve } from 'path';
import { fileURLToPath } from 'url';
import { NotFoundError } from '../runtime/core/errors';
import { isCommitSha } from '../runtime/core/names';
import { CommitSource } from '../runtime/core/ports';

/** The head of a branch, as a deployment records it. */
export interface LatestCommit {
  readonly sha: string;
  /** First line of the commit message. */
  readonly message: string;
  /** The author's name. */
  readonly author: string;
}

/** Where the repository `owner/repo` lives on this machine: a path or a file:// URL, or undefined. */
export type RepositoryLocator = (repository: string) => Promise<string | undefined>;

const SHA = /^[0-9a-f]{40}$/;
/** git's exit code for "no such ref" under `rev-parse --verify --quiet`. */
const NOT_FOUND = 1;
/** A field separator git prints for %x00 and no commit message can contain. */
const NUL = '\u0000';

/**
 * Local mode's GitHub: the head of a branch read from a local git repository with
 * `git rev-parse` and `git log`, each an argument vector (no shell).
 */
export class LocalCommitSource implements CommitSource {
  /** A fixed `owner/repo` → path (or file:// URL) map. */
  static fromMap(paths: Readonly<Record<string, string>>): LocalCommitSource {
    return new LocalCommitSource(async repository => (Object.prototype.hasOwnProperty.call(paths, repository) ? paths[repository] : undefined));
  }

  constructor(private readonly locate: RepositoryLocator) {}

  /** `ref`: a branch, or a commit's full SHA. Throws NotFoundError when the repository has no local path or the ref does not exist. */
  async latestCommit(repository: string, ref: string): Promise<LatestCommit> {
    const location = await this.locate(repository);
    if (location === undefined) throw new NotFoundError(`repository ${repository} has no local path`);
    const dir = localPath(location);
    // `refs/heads/...` and a SHA can never be read as an option; --verify refuses anything but one ref.
    const commit = isCommitSha(ref);
    const resolved = await git(dir, ['rev-parse', '--verify', '--quiet', `${commit ? ref : `refs/heads/${ref}`}^{commit}`]);
    if (resolved.code === NOT_FOUND) throw new NotFoundError(`${commit ? 'commit' : 'branch'} ${ref} does not exist in ${repository} (${dir})`);
    if (resolved.code !== 0 || !SHA.test(resolved.stdout.trim())) {
      throw new Error(`git rev-parse in ${dir} failed: ${resolved.stderr.trim() || `exit code ${resolved.code}`}`);
    }
    const sha = resolved.stdout.trim();
    const described = await git(dir, ['log', '-1', '--no-show-signature', '--format=%s%x00%an', sha]);
    if (described.code !== 0) throw new Error(`git log in ${dir} failed: ${described.stderr.trim() || `exit code ${described.code}`}`);
    const [message, author] = described.stdout.replace(/\n$/, '').split(NUL);
    return { sha, message: message ?? '', author: author ?? '' };
  }
}

/** A repository location (absolute or relative path, or file:// URL) as an absolute path. */
export function localPath(location: string): string {
  if (location.startsWith('file://')) return fileURLToPath(location);
  return isAbsolute(location) ? location : resolve(location);
}

interface GitResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function git(dir: string, args: readonly string[]): Promise<GitResult> {
  return new Promise((done, fail) => {
    execFile('git', ['-C', dir, '-c', 'core.fsmonitor=false', ...args], {
      encoding: 'utf8',
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' },
      maxBuffer: 1024 * 1024,
      timeout: 30_000,
    }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return fail(error); // git missing, timed out
      done({ code: error ? error.code as number : 0, stdout, stderr });
    });
  });
}
