import { NotFoundError } from '../../../src/runtime/core/errors';
import {
  CommitStatusReport, GitHubApp, GitHubDeploymentRequest, GitHubDeploymentStatus, InstalledRepository, RepositoryToken, WebhookDelivery,
} from '../../../src/runtime/core/github';
import { GitHubApiError } from '../../../src/runtime/github/github-rest';

/** A fault for the calls whose REST path (as GitHub's API names it) matches. */
interface Fault {
  readonly path: RegExp;
  /** An HTTP status answered, or `hang`: no answer at all. */
  readonly answer: number | 'hang';
  remaining: number;
}

interface StoredDeployment {
  readonly id: number;
  readonly sha: string;
  readonly environment: string;
  readonly production_environment: boolean;
  readonly description?: string;
  readonly statuses: Array<{ state: string; description?: string; environment_url?: string; log_url?: string }>;
}

/**
 * The GitHub App's statuses and deployments kept in memory, read back as the stand-in's
 * `statuses` and `deployments` give them, with the stand-in's fault injection (and a call that
 * never answers, for timeouts). For tests of what is reported; the stand-in tests the HTTP side.
 */
export class MemoryGitHub {
  readonly calls: string[] = [];
  private readonly faults: Fault[] = [];
  private readonly commitStatuses = new Map<string, Array<{ context: string; state: string; description: string; target_url?: string }>>();
  private readonly repositoryDeployments = new Map<string, StoredDeployment[]>();
  private readonly pullRequestComments = new Map<string, Array<{ id: number; body: string }>>();
  private nextId = 1000;

  readonly app: GitHubApp = {
    repositoryToken: async (): Promise<RepositoryToken> => { throw new Error('not used here'); },
    installedRepositories: async (): Promise<InstalledRepository[]> => [],
    deliveries: async (): Promise<WebhookDelivery[]> => [],
    redeliver: async () => undefined,
    commentOnPullRequest: async (repository: string, pullRequest: number, body: string, commentId?: number) => {
      await this.answer(`/repos/${repository}/issues/${pullRequest}/comments`);
      const key = `${repository}#${pullRequest}`;
      const comments = this.pullRequestComments.get(key) ?? [];
      this.pullRequestComments.set(key, comments);
      if (commentId === undefined) {
        const id = this.nextId++;
        comments.push({ id, body });
        return id;
      }
      const comment = comments.find(one => one.id === commentId);
      if (!comment) throw new NotFoundError(`GitHub answered 404 to PATCH /repos/${repository}/issues/comments/${commentId}`);
      comment.body = body;
      return commentId;
    },
    setCommitStatus: async (report: CommitStatusReport) => {
      await this.answer(`/repos/${report.repository}/statuses/${report.sha}`);
      const key = `${report.repository}@${report.sha}`;
      this.commitStatuses.set(key, [...this.commitStatuses.get(key) ?? [], {
        context: report.context, state: report.state, description: report.description, ...report.targetUrl && { target_url: report.targetUrl },
      }]);
    },
    createDeployment: async (request: GitHubDeploymentRequest) => {
      await this.answer(`/repos/${request.repository}/deployments`);
      const id = this.nextId++;
      const made: StoredDeployment = {
        id,
        sha: request.sha,
        environment: request.environment,
        production_environment: request.productionEnvironment === true,
        description: request.description,
        statuses: [],
      };
      this.repositoryDeployments.set(request.repository, [...this.repositoryDeployments.get(request.repository) ?? [], made]);
      return id;
    },
    setDeploymentStatus: async (repository: string, deploymentId: number, status: GitHubDeploymentStatus) => {
      await this.answer(`/repos/${repository}/deployments/${deploymentId}/statuses`);
      const deployment = this.repositoryDeployments.get(repository)?.find(candidate => candidate.id === deploymentId);
      if (!deployment) throw new Error(`GitHub answered 404: no deployment ${deploymentId} in ${repository}`);
      deployment.statuses.push({
        state: status.state,
        description: status.description,
        ...status.environmentUrl && { environment_url: status.environmentUrl },
        ...status.logUrl && { log_url: status.logUrl },
      });
    },
  };

  /** As a GitHubConnection's `app()` answers once the App exists. */
  readonly connection = { app: async () => this.app };

  statuses(repository: string, sha: string) {
    return this.commitStatuses.get(`${repository}@${sha}`) ?? [];
  }

  deployments(repository: string) {
    return this.repositoryDeployments.get(repository) ?? [];
  }

  /** The next `count` calls whose path matches answer `answer` (an HTTP status, or never). */
  /** A pull request's comments, oldest first. */
  comments(repository: string, pullRequest: number): Array<{ id: number; body: string }> {
    return (this.pullRequestComments.get(`${repository}#${pullRequest}`) ?? []).map(comment => ({ ...comment }));
  }

  failNext(path: RegExp, answer: number | 'hang', count = 1): void {
    this.faults.push({ path, answer, remaining: count });
  }

  private async answer(path: string): Promise<void> {
    this.calls.push(path);
    const fault = this.faults.find(candidate => candidate.remaining > 0 && candidate.path.test(path));
    if (!fault) return;
    fault.remaining--;
    if (fault.answer === 'hang') return new Promise<never>(() => undefined);
    // As the client throws them: a 404 is a NotFoundError, any other status a GitHubApiError.
    const message = `GitHub answered ${fault.answer} to POST ${path}`;
    throw fault.answer === 404 ? new NotFoundError(message) : new GitHubApiError(fault.answer, message);
  }
}
