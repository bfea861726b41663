import { ApiDeps } from './api-call';
import { DeploymentRequest, DeploymentScheduler } from '../core/deployment-scheduler';
import { errorMessage } from '../core/errors';
import { Deployment } from '../core/types';

/**
 * Record a queued deployment and hand it to the launcher, as the webhook does. A deployment
 * that could not be enqueued is ended as `failed` (no launcher would ever see it) and the
 * error is rethrown.
 */
export async function schedule(request: DeploymentRequest, deps: ApiDeps): Promise<Deployment> {
  const deployment = await new DeploymentScheduler(deps.store, deps.clock).create(request);
  try {
    await deps.queue.send({ deploymentId: deployment.id });
  } catch (error) {
    deps.log({ message: 'deployment could not be enqueued', deployment: deployment.id, error: errorMessage(error) });
    await deps.store.deployments.transition(deployment.id, 'failed', { reason: 'could not be handed to the launcher; try again' })
      .catch(() => undefined);
    throw error;
  }
  deps.log({
    message: 'deployment requested',
    deployment: deployment.id,
    action: deployment.action,
    application: deployment.application,
    environment: deployment.environment,
    commit: deployment.commit,
    trigger: deployment.trigger.kind,
    actor: deployment.trigger.actor,
  });
  return deployment;
}
