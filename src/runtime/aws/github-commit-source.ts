import { secretNames } from '../../contract/secret-names';
import { NotFoundError, ValidationError, errorMessage } from '../core/errors';
import * as names from '../core/names';
import { CommitSource, SecretSource } from '../core/ports';

export interface GitHubCommitSourceOptions {
  /** @default https://api.github.com (GitHub Enterprise Server: https://<host>/api/v3) */
  readonly apiUrl?: string;
  /** @default 5000 */
  readonly timeoutMs?: number;
  /**
   * With a GitHub App: an installation token for the repository (read-only, that repository only),
   * asked for first; undefined (no App, not installed there) falls back to the token secret.
   * @default - the token secret only
   */
  readonly appToken?: (repository: string) => Promise<string | undefined>;
}

const SHA = /^[0-9a-f]{40}$/;

/** The fields read from GitHub's answer (a commit object). */
interface CommitResponse {
  readonly sha?: unknown;
  readonly author?: { readonly login?: unknown } | null;
  readonly commit?: { readonly message?: unknown; readonly author?: { readonly name?: unknown } | null };
}

/**
 * The newest commit of a branch from GitHub's REST API (`GET /repos/{owner}/{repo}/commits/{ref}`).
 * The token is `trellis/<installation>/github-token` when it exists; public repositories
 * work without one. The token goes only into the Authorization header, never into a
 * message or a log.
 */
export class GitHubCommitSource implements CommitSource {
  private readonly apiUrl: string;
  private readonly timeoutMs: number;

  constructor(
    private readonly installation: string,
    private readonly secrets: SecretSource,
    private readonly options: GitHubCommitSourceOptions = {},
  ) {
    this.apiUrl = (options.apiUrl ?? 'https://api.github.com').replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  /** `branch`: a branch name, or a commit's full SHA (GitHub's commits route takes either). */
  async latestCommit(repository: string, branch: string): Promise<{ sha: string; message?: string; author?: string }> {
    const problem = names.repository(repository) ?? names.branchName(branch);
    if (problem) throw new ValidationError([{ path: 'branch', message: problem }]);
    const token = await this.options.appToken?.(repository) ?? await this.token();
    const [owner, repo] = repository.split('/');
    const url = `${this.apiUrl}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/commits/${encodeURIComponent(branch)}`;
    let response: Response;
    try {
      response = await fetch(url, {
        headers: {
          'accept': 'application/vnd.github+json',
          'x-github-api-version': '2022-11-28',
          'user-agent': 'trellis-cdk',
          ...token && { authorization: `Bearer ${token}` },
        },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new Error(`GitHub did not answer for ${repository}@${branch}: ${errorMessage(error)}`);
    }
    const where = names.isCommitSha(branch) ? `commit ${branch} of ${repository}` : `branch '${names.printable(branch)}' of ${repository}`;
    if (response.status === 404 || response.status === 422) {
      const hint = token ? '' : ` (a private repository needs the GitHub App installed on it, or a GitHub token in ${secretNames.githubToken(this.installation)})`;
      throw new NotFoundError(`${where} was not found on GitHub${hint}`);
    }
    if (!response.ok) throw new Error(`GitHub answered ${response.status} when asked for ${where}`);
    const body = await response.json() as CommitResponse;
    if (typeof body.sha !== 'string' || !SHA.test(body.sha)) throw new Error(`GitHub answered no commit SHA for ${where}`);
    const message = typeof body.commit?.message === 'string' ? body.commit.message.split('\n')[0] : undefined;
    const author = [body.author?.login, body.commit?.author?.name].find((value): value is string => typeof value === 'string' && value !== '');
    return { sha: body.sha, message, author };
  }

  private async token(): Promise<string | undefined> {
    try {
      return (await this.secrets.get(secretNames.githubToken(this.installation))).trim() || undefined;
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }
}
