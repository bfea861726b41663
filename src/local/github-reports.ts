import { errorMessage } from '../runtime/core/errors';
import { GitHubConnection } from '../runtime/core/github';
import { Store } from '../runtime/core/ports';
import { Deployment } from '../runtime/core/types';
import { DeploymentReporterDeps, reportDeployment } from '../runtime/github/deployment-reporter';
import { commentOnPreview } from '../runtime/previews/preview-comments';

export interface LocalGitHubReportsOptions {
  readonly github: Pick<GitHubConnection, 'app'>;
  readonly store: Pick<Store, 'deployments' | 'config' | 'previews'>;
  /** Read at each report: the server's URL is known only once it listens. */
  readonly dashboardUrl: () => string;
  readonly installation: string;
  readonly log: (entry: Record<string, unknown>) => void;
  readonly retry?: DeploymentReporterDeps['retry'];
}

export interface LocalGitHubReports {
  /** Report this state of a deployment, after the ones asked for before it; returns at once. */
  report(deployment: Deployment): void;
  /** Resolves once every report asked for so far has been made (or has failed). */
  settled(): Promise<void>;
}

/**
 * Local mode's GitHub reports (the stand-in's, or GitHub's): what the table's stream and the
 * reporter function do in AWS. Each status change is reported after the deployment's previous
 * one (in order, and its GitHub Deployment is made once), while the change itself goes on:
 * the store's caller never waits for GitHub, and a report's failure stays in the server log.
 */
export function localGitHubReports(options: LocalGitHubReportsOptions): LocalGitHubReports {
  const chains = new Map<string, Promise<void>>();
  const reportNow = async (deployment: Deployment) => {
    const environment = await options.store.config.getEnvironment(deployment.application, deployment.environment);
    await reportDeployment(deployment, environment, {
      github: options.github,
      deployments: options.store.deployments,
      dashboardUrl: options.dashboardUrl(),
      installation: options.installation,
      log: options.log,
      retry: options.retry,
    });
    // A preview's pull request shows its status in one comment, edited in place.
    await commentOnPreview(deployment, { github: options.github, store: options.store, dashboardUrl: options.dashboardUrl(), log: options.log });
  };
  return {
    report(deployment) {
      const next = (chains.get(deployment.id) ?? Promise.resolve())
        .then(() => reportNow(deployment))
        .catch(error => options.log({ message: 'github report failed', deployment: deployment.id, status: deployment.status, error: errorMessage(error) }))
        .finally(() => {
          if (chains.get(deployment.id) === next) chains.delete(deployment.id);
        });
      chains.set(deployment.id, next);
    },
    async settled() {
      while (chains.size > 0) await Promise.all(chains.values());
    },
  };
}
