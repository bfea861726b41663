import { appJwt } from './app-jwt';
import { GitHubRest, GitHubRestOptions } from './github-rest';
import { NotFoundError, ValidationError } from '../core/errors';
import {
  CommitStatusReport, GitHubApp, GitHubAppCredentials, GitHubDeploymentRequest, GitHubDeploymentStatus, InstalledRepository,
  RepositoryToken, WebhookDelivery,
} from '../core/github';
import * as names from '../core/names';
import { Clock } from '../core/ports';

/** A token is used again until this long before it expires (GitHub's last an hour). */
const TOKEN_REUSE_MARGIN_MS = 5 * 60_000;
/** GitHub's limit on a commit status's description. */
const MAX_DESCRIPTION = 140;

export interface GitHubAppClientOptions extends GitHubRestOptions {
  /** @default the system clock */
  readonly clock?: Clock;
}

/** Permissions of an installation token, as GitHub names them. */
type Permissions = Readonly<Record<string, 'read' | 'write'>>;

interface TokenAnswer { readonly token?: unknown; readonly expires_at?: unknown }
interface RepositoryAnswer { readonly full_name?: unknown; readonly private?: unknown; readonly default_branch?: unknown }
interface DeliveryAnswer {
  readonly id?: unknown;
  readonly guid?: unknown;
  readonly event?: unknown;
  readonly action?: unknown;
  readonly delivered_at?: unknown;
  readonly status_code?: unknown;
  readonly redelivery?: unknown;
}

/**
 * The GitHub App acting as itself (JWT) and on its installations (installation tokens), over
 * GitHub's REST API. Every token is asked for with the fewest permissions and repositories the
 * call needs, and kept until shortly before it expires.
 */
export class GitHubAppClient implements GitHubApp {
  private readonly rest: GitHubRest;
  private readonly clock: Clock;
  private readonly tokens = new Map<string, RepositoryToken>();

  constructor(private readonly credentials: GitHubAppCredentials, apiUrl: string, options: GitHubAppClientOptions = {}) {
    this.rest = new GitHubRest(apiUrl, options);
    this.clock = options.clock ?? { now: () => new Date() };
  }

  repositoryToken(repository: string): Promise<RepositoryToken> {
    return this.token(repository, { contents: 'read' });
  }

  async installedRepositories(): Promise<InstalledRepository[]> {
    const installations = await this.rest.pages<{ id?: unknown }>({ path: '/app/installations', token: this.jwt() }, list);
    const repositories: InstalledRepository[] = [];
    for (const installation of installations) {
      if (typeof installation.id !== 'number') continue;
      const token = await this.mint(installation.id, { permissions: { metadata: 'read' } });
      const found = await this.rest.pages<RepositoryAnswer>(
        { path: '/installation/repositories', token: token.token },
        body => list((body as { repositories?: unknown } | undefined)?.repositories),
      );
      for (const repository of found) {
        if (typeof repository.full_name !== 'string') continue;
        repositories.push({
          fullName: repository.full_name,
          private: repository.private === true,
          defaultBranch: typeof repository.default_branch === 'string' ? repository.default_branch : 'main',
        });
      }
    }
    return repositories.sort((a, b) => a.fullName.localeCompare(b.fullName));
  }

  async setCommitStatus(report: CommitStatusReport): Promise<void> {
    const { token } = await this.token(report.repository, { statuses: 'write' });
    await this.rest.json({
      method: 'POST',
      path: `${repositoryPath(report.repository)}/statuses/${encodeURIComponent(report.sha)}`,
      token,
      body: {
        state: report.state,
        context: report.context,
        description: report.description.slice(0, MAX_DESCRIPTION),
        ...report.targetUrl !== undefined && { target_url: report.targetUrl },
      },
    });
  }

  async createDeployment(request: GitHubDeploymentRequest): Promise<number> {
    const { token } = await this.token(request.repository, { deployments: 'write' });
    const created = await this.rest.json<{ id?: unknown }>({
      method: 'POST',
      path: `${repositoryPath(request.repository)}/deployments`,
      token,
      body: {
        ref: request.sha,
        environment: request.environment,
        // The commit is deployed as it is: no merge of the default branch, no wait for other checks.
        auto_merge: false,
        required_contexts: [],
        ...request.description !== undefined && { description: request.description },
        production_environment: request.productionEnvironment === true,
        transient_environment: request.transientEnvironment === true,
      },
    });
    if (typeof created?.id !== 'number') throw new Error(`GitHub answered no deployment id for ${request.repository}`);
    return created.id;
  }

  async setDeploymentStatus(repository: string, deploymentId: number, status: GitHubDeploymentStatus): Promise<void> {
    const { token } = await this.token(repository, { deployments: 'write' });
    await this.rest.json({
      method: 'POST',
      path: `${repositoryPath(repository)}/deployments/${deploymentId}/statuses`,
      token,
      body: {
        state: status.state,
        ...status.description !== undefined && { description: status.description.slice(0, MAX_DESCRIPTION) },
        ...status.logUrl !== undefined && { log_url: status.logUrl },
        ...status.environmentUrl !== undefined && { environment_url: status.environmentUrl },
      },
    });
  }

  async commentOnPullRequest(repository: string, pullRequest: number, body: string, commentId?: number): Promise<number> {
    const { token } = await this.token(repository, { pull_requests: 'write' });
    const answer = await this.rest.json<{ id?: unknown }>(commentId === undefined
      ? { method: 'POST', path: `${repositoryPath(repository)}/issues/${pullRequest}/comments`, token, body: { body } }
      : { method: 'PATCH', path: `${repositoryPath(repository)}/issues/comments/${commentId}`, token, body: { body } });
    if (typeof answer?.id !== 'number') throw new Error(`GitHub answered no comment id for ${repository}#${pullRequest}`);
    return answer.id;
  }

  async deliveries(since: string): Promise<WebhookDelivery[]> {
    const sinceMs = Date.parse(since);
    if (Number.isNaN(sinceMs)) throw new ValidationError([{ path: 'since', message: `'${names.printable(since)}' is not an ISO time` }]);
    // Newest first; GitHub pages by cursor, so one page of 100 is read: older ones are past any dashboard's interest.
    const answer = await this.rest.json<unknown>({ path: '/app/hook/deliveries?per_page=100', token: this.jwt() });
    return list<DeliveryAnswer>(answer)
      .map(toDelivery)
      .filter((delivery): delivery is WebhookDelivery => delivery !== undefined && Date.parse(delivery.deliveredAt) > sinceMs)
      .sort((a, b) => Date.parse(b.deliveredAt) - Date.parse(a.deliveredAt) || b.id - a.id);
  }

  async redeliver(deliveryId: number): Promise<void> {
    if (!Number.isSafeInteger(deliveryId) || deliveryId <= 0) throw new ValidationError([{ path: 'deliveryId', message: 'must be a positive integer' }]);
    await this.rest.json({ method: 'POST', path: `/app/hook/deliveries/${deliveryId}/attempts`, token: this.jwt() });
  }

  /** A token for `repository` with exactly `permissions`, reused until shortly before it expires. */
  private async token(repository: string, permissions: Permissions): Promise<RepositoryToken> {
    const problem = names.repository(repository);
    if (problem) throw new ValidationError([{ path: 'repository', message: problem }]);
    const key = `${repository} ${JSON.stringify(permissions)}`;
    const kept = this.tokens.get(key);
    const now = this.clock.now().getTime();
    if (kept && Date.parse(kept.expiresAt) - TOKEN_REUSE_MARGIN_MS > now) return kept;
    const notInstalled = new NotFoundError(`the GitHub App is not installed on ${repository}`);
    const installation = await this.rest.json<{ id?: unknown }>({ path: `${repositoryPath(repository)}/installation`, token: this.jwt() })
      .catch(error => { throw error instanceof NotFoundError ? notInstalled : error; });
    if (typeof installation?.id !== 'number') throw notInstalled;
    const token = await this.mint(installation.id, { repositories: [repository.split('/')[1]], permissions });
    for (const [other, held] of this.tokens) if (Date.parse(held.expiresAt) - TOKEN_REUSE_MARGIN_MS <= now) this.tokens.delete(other);
    this.tokens.set(key, token);
    return token;
  }

  private async mint(installationId: number, scope: { repositories?: string[]; permissions: Permissions }): Promise<RepositoryToken> {
    const answer = await this.rest.json<TokenAnswer>({
      method: 'POST',
      path: `/app/installations/${installationId}/access_tokens`,
      token: this.jwt(),
      body: scope,
    });
    if (typeof answer?.token !== 'string' || typeof answer.expires_at !== 'string') {
      throw new Error(`GitHub answered no installation token for installation ${installationId}`);
    }
    return { token: answer.token, expiresAt: answer.expires_at };
  }

  private jwt(): string {
    return appJwt(this.credentials.appId, this.credentials.privateKey, this.clock.now());
  }
}

/** `/repos/{owner}/{repo}` of a validated `owner/repo`. */
function repositoryPath(repository: string): string {
  const [owner, repo] = repository.split('/');
  return `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`;
}

function list<T>(body: unknown): T[] {
  return Array.isArray(body) ? body as T[] : [];
}

function toDelivery(answer: DeliveryAnswer): WebhookDelivery | undefined {
  if (typeof answer.id !== 'number' || typeof answer.guid !== 'string' || typeof answer.delivered_at !== 'string') return undefined;
  return {
    id: answer.id,
    guid: answer.guid,
    event: typeof answer.event === 'string' ? answer.event : 'unknown',
    ...typeof answer.action === 'string' && { action: answer.action },
    deliveredAt: answer.delivered_at,
    statusCode: typeof answer.status_code === 'number' ? answer.status_code : 0,
    redelivery: answer.redelivery === true,
  };
}
