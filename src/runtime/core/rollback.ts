import { DeploymentRequest } from './deployment-scheduler';
import { Deployment, Trigger } from './types';

/**
 * What a rollback is, for the dashboard's "Roll back" (the API) and the automatic rollback
 * after a failed health check (the finalizer): a new deployment, action `rollback`, of an
 * earlier succeeded deployment's commit, that names it as its source.
 */

/** Who asked: a person (`rollback`) or the finalizer (`auto-rollback`, actor `trellis`). */
export interface RollbackTrigger {
  readonly kind: Extract<Trigger['kind'], 'rollback' | 'auto-rollback'>;
  readonly actor: string;
}

/** The actor of the deployments Trellis starts on its own. */
export const TRELLIS_ACTOR = 'trellis';

/** Why `target` is not a version `application/environment` can go back to, or undefined. */
export function rollbackProblem(target: Deployment, application: string, environment: string): string | undefined {
  if (target.application !== application || target.environment !== environment) return `is not a deployment of ${application}/${environment}`;
  if (target.action === 'teardown') return 'is a teardown, not a version to roll back to';
  if (target.status !== 'succeeded') return `is ${target.status}; only a succeeded deployment can be rolled back to`;
  return undefined;
}

/** The request that redeploys `target`'s version (check rollbackProblem first); `repository` as the application names it now. */
export function rollbackRequest(target: Deployment, trigger: RollbackTrigger, repository: string | undefined): DeploymentRequest {
  return {
    application: target.application,
    environment: target.environment,
    action: 'rollback',
    commit: target.commit,
    branch: target.branch,
    repository,
    commitMessage: target.commitMessage,
    author: target.author,
    trigger: { kind: trigger.kind, actor: trigger.actor, sourceDeploymentId: target.id },
  };
}
