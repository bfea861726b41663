import { ConflictError, errorMessage } from '../core/errors';
import { GitHubConnection } from '../core/github';
import { Store } from '../core/ports';
import { Deployment, DeploymentStatus, EnvironmentRecord } from '../core/types';

/**
 * A preview's one comment on its pull request: made at its first deployment, then edited in place
 * at every status change (its id is kept on the preview's record), through the GitHub App. Called
 * where deployments are reported to GitHub (github/deployment-stream.ts in AWS,
 * local/github-reports.ts locally). Never throws and never holds anything up: without an App, or
 * when GitHub refuses, the comment is skipped and the reason logged.
 */
export interface PreviewCommentDeps {
  readonly github: Pick<GitHubConnection, 'app'>;
  readonly store: Pick<Store, 'config' | 'previews'>;
  /** The dashboard's base URL: the comment links to the deployment and the preview's history. */
  readonly dashboardUrl: string;
  readonly log: (entry: Record<string, unknown>) => void;
}

const WORDS: Readonly<Record<DeploymentStatus, string>> = {
  queued: '⏳ queued',
  running: '🔨 building and deploying',
  succeeded: '✅ deployed',
  failed: '❌ failed',
  cancelled: '⏹ cancelled',
  superseded: '⏭ superseded by a newer commit',
};

/** The comment's text for `deployment` of the preview `env` (Markdown, no secret: the status, the commit, links). */
export function previewComment(deployment: Deployment, env: EnvironmentRecord, dashboardUrl: string): string {
  const base = dashboardUrl.replace(/\/+$/, '');
  const what = deployment.action === 'teardown' ? `teardown: ${WORDS[deployment.status]}` : WORDS[deployment.status];
  const lines = [
    `**Trellis preview \`${env.name}\`** of ${deployment.application}: ${what} at \`${deployment.commit.slice(0, 12)}\``,
    '',
    `[Deployment](${base}/#/deployments/${encodeURIComponent(deployment.id)}) · [Preview history](${base}/#/apps/${encodeURIComponent(deployment.application)}/environments/${encodeURIComponent(env.name)})`,
  ];
  if (deployment.status === 'failed' && deployment.reason) lines.push('', `> ${deployment.reason.split('\n', 1)[0].slice(0, 300)}`);
  if (env.preview?.awaitingApproval) lines.push('', `Commit \`${env.preview.awaitingApproval.slice(0, 12)}\` from the fork waits for a deployer's approval.`);
  lines.push('', '<sub>Edited in place by Trellis at each change.</sub>');
  return lines.join('\n');
}

/** Comment on (or edit the comment of) the pull request whose preview `deployment` is in. */
export async function commentOnPreview(deployment: Deployment, deps: PreviewCommentDeps): Promise<string> {
  try {
    const env = await deps.store.config.getEnvironment(deployment.application, deployment.environment);
    if (!env?.preview) return 'not a preview';
    const app = await deps.github.app();
    if (!app) return 'no GitHub App: no comment';
    // The deployment's own record of it: the reporter reads items by key only.
    const repository = deployment.repository;
    if (!repository) return 'no repository recorded';
    const body = previewComment(deployment, env, deps.dashboardUrl);
    const known = env.preview.commentId;
    const id = await app.commentOnPullRequest(repository, env.preview.pullRequest, body, known);
    if (known === undefined) {
      // Kept once: of two first comments at the same moment, the second is left as it is.
      await deps.store.previews.update(deployment.application, env.name, { commentId: id }, { commentId: null }).catch(error => {
        if (!(error instanceof ConflictError)) throw error;
      });
    }
    return known === undefined ? 'commented' : 'comment edited';
  } catch (error) {
    deps.log({ message: 'preview comment failed', deployment: deployment.id, environment: deployment.environment, error: errorMessage(error) });
    return 'failed';
  }
}
