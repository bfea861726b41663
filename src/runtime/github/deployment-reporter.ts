import { GitHubApiError } from './github-rest';
import { NotFoundError, errorMessage } from '../core/errors';
import { CommitState, GitHubApp, GitHubConnection, GitHubDeploymentState } from '../core/github';
import { GITHUB_REPORT_DIMENSION_SETS, METRIC_DIMENSIONS, METRIC_NAMES, metricRecord } from '../core/metrics';
import { repository as repositoryRule } from '../core/names';
import { Clock, DeploymentStore, systemClock } from '../core/ports';
import { Deployment, DeploymentStatus, EnvironmentConfig } from '../core/types';

/**
 * A deployment's status on GitHub, after each status change: a commit status
 * `trellis/<app>/<env>` on the deployed commit, and a GitHub Deployment of the commit to the
 * environment (made once, its id kept on the deployment) with a status per change. Reporting
 * never fails or holds up the deployment: each call is tried a few times, then the failure is
 * logged and counted (GitHubReportFailures), and nothing is thrown.
 */

export interface DeploymentReporterDeps {
  readonly github: Pick<GitHubConnection, 'app'>;
  readonly deployments: Pick<DeploymentStore, 'get' | 'keepGitHubDeployment'>;
  /** The dashboard's URL: statuses link to the deployment's page in it. */
  readonly dashboardUrl: string;
  /** The Installation dimension of the failure metric. */
  readonly installation: string;
  readonly log: (entry: Record<string, unknown>) => void;
  readonly clock?: Clock;
  readonly retry?: Partial<ReportRetry>;
}

/** How hard each GitHub call is tried. */
export interface ReportRetry {
  /** Tries per call. */
  readonly attempts: number;
  /** Wait after the first failed try; doubled after each next one. */
  readonly backoffMs: number;
  /** A try GitHub has not answered by then counts as failed. */
  readonly timeoutMs: number;
}

/** Short: a report runs after the status change it reports, and GitHub usually answers in well under a second. */
export const DEFAULT_REPORT_RETRY: ReportRetry = { attempts: 3, backoffMs: 250, timeoutMs: 10_000 };

export type ReportResult =
  /** Nothing (more) to report: why. */
  | { readonly skipped: string }
  /** The calls made; `failed` names those that failed on every try (logged and counted). */
  | { readonly failed: readonly string[] };

/** GitHub's limit on a status description. */
const MAX_DESCRIPTION = 140;
/** A full commit id (SHA-1, or SHA-256 in repositories that use it): GitHub reports on commits, never branches. */
const COMMIT_SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

const COMMIT_STATES: Record<DeploymentStatus, CommitState> = {
  queued: 'pending',
  running: 'pending',
  succeeded: 'success',
  failed: 'failure',
  cancelled: 'error',
  superseded: 'error',
};

const DEPLOYMENT_STATES: Record<DeploymentStatus, GitHubDeploymentState> = {
  queued: 'queued',
  running: 'in_progress',
  succeeded: 'success',
  failed: 'failure',
  cancelled: 'error',
  // Never deployed: GitHub shows it as no longer the environment's.
  superseded: 'inactive',
};

/** Report `deployment` as it is now. `environment` gives the production flag and the URL (its health check's), when known. */
export async function reportDeployment(
  deployment: Deployment,
  environment: EnvironmentConfig | undefined,
  deps: DeploymentReporterDeps,
): Promise<ReportResult> {
  const skipped = whyNotReported(deployment);
  if (skipped) return { skipped };
  const failed: string[] = [];
  try {
    return await report(deployment, environment, deps, failed);
  } catch (error) {
    if (!(error instanceof NothingThere)) throw error;
    deps.log({ message: 'github report skipped', call: error.call, reason: error.message, deployment: deployment.id, status: deployment.status, failed });
    return { skipped: error.message };
  }
}

async function report(
  deployment: Deployment,
  environment: EnvironmentConfig | undefined,
  deps: DeploymentReporterDeps,
  failed: string[],
): Promise<ReportResult> {
  const call = callGitHub(deployment, deps, failed);
  const app = await call('read the GitHub App', () => deps.github.app());
  if (!app) return failed.length > 0 ? { failed } : { skipped: 'no GitHub App is set up' };
  const repository = deployment.repository!;
  const description = statusDescription(deployment);
  const logUrl = deploymentPage(deps.dashboardUrl, deployment.id);
  await call('set the commit status', () => app.setCommitStatus({
    repository,
    sha: deployment.commit,
    context: `trellis/${deployment.application}/${deployment.environment}`,
    state: COMMIT_STATES[deployment.status],
    description,
    targetUrl: logUrl,
  }));
  const githubDeployment = await gitHubDeployment({ app, deployment, environment, deployments: deps.deployments, call });
  if (githubDeployment !== undefined) {
    const environmentUrl = environment?.healthCheck?.url;
    await call('set the GitHub Deployment status', () => app.setDeploymentStatus(repository, githubDeployment, {
      state: DEPLOYMENT_STATES[deployment.status],
      description,
      logUrl,
      ...environmentUrl !== undefined && { environmentUrl },
    }));
  }
  return { failed };
}

/**
 * Which deployments are reported: every one that deploys a commit of a GitHub repository (push,
 * manual, promotion, rollback): each changes what runs in the environment, which is what a
 * GitHub Deployment records. A teardown deploys nothing.
 */
export function whyNotReported(deployment: Deployment): string | undefined {
  if (deployment.action === 'teardown') return 'a teardown deploys no commit';
  if (deployment.repository === undefined || repositoryRule(deployment.repository) !== undefined) return 'no GitHub repository';
  if (!COMMIT_SHA.test(deployment.commit)) return 'no commit SHA';
  return undefined;
}

/** The deployment's page in the dashboard. */
export function deploymentPage(dashboardUrl: string, id: string): string {
  return `${dashboardUrl.replace(/\/+$/, '')}/#/deployments/${encodeURIComponent(id)}`;
}

/** The status line GitHub shows next to the check (at most 140 characters). */
export function statusDescription(deployment: Deployment): string {
  const target = deployment.environment;
  const text = ((): string => {
    switch (deployment.status) {
      case 'queued': return `Queued to deploy to ${target}`;
      case 'running': return `Deploying to ${target}`;
      case 'succeeded': return `Deployed to ${target}${durationOf(deployment)}`;
      case 'failed': return `Failed: ${deployment.reason ?? 'see the deployment page'}`;
      case 'cancelled': return `Cancelled${deployment.reason ? `: ${deployment.reason}` : ''}`;
      case 'superseded': return `Not deployed: ${deployment.reason ?? 'superseded by a newer deployment'}`;
    }
  })();
  return text.length <= MAX_DESCRIPTION ? text : `${text.slice(0, MAX_DESCRIPTION - 1)}…`;
}

function durationOf(deployment: Deployment): string {
  if (!deployment.startedAt || !deployment.finishedAt) return '';
  return ` in ${Math.round((Date.parse(deployment.finishedAt) - Date.parse(deployment.startedAt)) / 1000)} s`;
}

type Call = <T>(what: string, action: () => Promise<T>) => Promise<T | undefined>;

/**
 * The deployment's GitHub Deployment: the one kept on it, or a new one kept on it now. A
 * repeated report finds the kept one (read again: the event being reported may predate it).
 * A deployment that ends superseded or cancelled before one was made never deployed: none is made.
 */
async function gitHubDeployment(of: {
  app: GitHubApp;
  deployment: Deployment;
  environment: EnvironmentConfig | undefined;
  deployments: DeploymentReporterDeps['deployments'];
  call: Call;
}): Promise<number | undefined> {
  const { app, deployment, environment, deployments, call } = of;
  const known = deployment.githubDeploymentId ?? (await call('read the deployment', () => deployments.get(deployment.id)))?.githubDeploymentId;
  if (known !== undefined) return known;
  if (deployment.status === 'superseded' || deployment.status === 'cancelled') return undefined;
  const made = await call('create the GitHub Deployment', () => app.createDeployment({
    repository: deployment.repository!,
    sha: deployment.commit,
    environment: `${deployment.application}/${deployment.environment}`,
    description: `${deployment.action} ${deployment.commit.slice(0, 7)} (${deployment.id})`,
    productionEnvironment: environment?.kind === 'production',
    transientEnvironment: false,
  }));
  if (made === undefined) return undefined;
  return call('keep the GitHub Deployment id', () => deployments.keepGitHubDeployment(deployment.id, made));
}

/**
 * GitHub has nothing there to report to: the App is not installed on the repository (the
 * repository may send its webhooks with the installation's own secret), or the repository,
 * commit or GitHub Deployment is gone. Not a failure: the report stops, with a line that says why.
 */
class NothingThere extends Error {
  constructor(readonly call: string, message: string) {
    super(message);
  }
}

/** An answer that is the same on every try (a 4xx other than a rate limit or a timeout): tried once. */
function permanent(error: unknown): boolean {
  return error instanceof GitHubApiError && error.status >= 400 && error.status < 500 && ![403, 408, 429].includes(error.status);
}

/**
 * Each call tried `attempts` times with a timeout per try; after the last failure it is logged
 * (one line that is also the GitHubReportFailures metric), named in `failed`, and answers
 * undefined. A 404 (NotFoundError) stops the report instead (NothingThere). Messages are the
 * client's: it never puts a token in one.
 */
function callGitHub(deployment: Deployment, deps: DeploymentReporterDeps, failed: string[]): Call {
  const retry = { ...DEFAULT_REPORT_RETRY, ...deps.retry };
  const clock = deps.clock ?? systemClock;
  const call: Call = async (what, action) => {
    let error: unknown;
    let attempts = 0;
    for (let attempt = 1; attempt <= retry.attempts; attempt++) {
      attempts = attempt;
      try {
        return await withTimeout(action, retry.timeoutMs, what);
      } catch (caught) {
        error = caught;
        if (error instanceof NotFoundError) throw new NothingThere(what, errorMessage(error));
        if (permanent(error)) break;
        if (attempt < retry.attempts) await new Promise(resolve => setTimeout(resolve, retry.backoffMs * 2 ** (attempt - 1)));
      }
    }
    failed.push(what);
    deps.log(metricRecord({
      timestamp: clock.now().getTime(),
      metrics: [{ name: METRIC_NAMES.gitHubReportFailures, unit: 'Count', value: 1 }],
      dimensions: { [METRIC_DIMENSIONS.installation]: deps.installation },
      dimensionSets: GITHUB_REPORT_DIMENSION_SETS,
      properties: {
        message: 'github report failed',
        call: what,
        attempts,
        error: errorMessage(error).slice(0, 500),
        deployment: deployment.id,
        application: deployment.application,
        environment: deployment.environment,
        status: deployment.status,
        repository: deployment.repository,
      },
    }));
    return undefined;
  };
  return call;
}

async function withTimeout<T>(action: () => Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`GitHub did not answer within ${timeoutMs} ms (${what})`)), timeoutMs);
  });
  try {
    return await Promise.race([action(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
