import { BuildDependencies, startHolder } from './launch';
import { DeploymentScheduler } from '../core/deployment-scheduler';
import { NotFoundError } from '../core/errors';
import { isTerminal } from '../core/state-machine';
import { Deployment } from '../core/types';

/**
 * Cancel a deployment. A queued one ends at once (and passes the lock on if it held it: the
 * next holder goes to `deps.queue` when there is one, else it is started here); a running one
 * ends as `cancelled` and its task is stopped — the task's stop event then releases the lock.
 * Cancelling a finished deployment changes nothing.
 */
export async function cancelDeployment(id: string, actor: string, deps: BuildDependencies): Promise<Deployment> {
  const deployment = await deps.store.deployments.get(id);
  if (!deployment) throw new NotFoundError(`deployment ${id} does not exist`);
  if (isTerminal(deployment.status)) return deployment;

  const reason = `cancelled by ${actor}`;
  const cancelled = await deps.store.deployments.transition(id, 'cancelled', { reason });
  if (deployment.status === 'running' && cancelled.taskId) {
    await deps.runner.stop(cancelled.taskId, reason);
  } else if (deployment.status === 'queued') {
    const next = await new DeploymentScheduler(deps.store, deps.clock).release(cancelled);
    // Through the launch queue where there is one: the caller (the control API) starts no builds itself.
    if (next && deps.queue) await deps.queue.send({ deploymentId: next });
    else if (next) await startHolder(next, deps);
  }
  return cancelled;
}
