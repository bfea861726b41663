import { ApiDeps } from './api-call';
import { DeploymentRequest, DeploymentScheduler, UnsentDeploymentError } from '../core/deployment-scheduler';
import { errorMessage } from '../core/errors';
import { Deployment } from '../core/types';

/** Record a queued deployment and hand it to the launcher, as the webhook does (DeploymentScheduler.submit). */
export async function schedule(request: DeploymentRequest, deps: ApiDeps): Promise<Deployment> {
  let deployment: Deployment;
  try {
    deployment = await new DeploymentScheduler(deps.store, deps.clock).submit(request, deps.queue, 'could not be handed to the launcher; try again');
  } catch (error) {
    if (error instanceof UnsentDeploymentError) {
      deps.log({ message: 'deployment could not be enqueued', deployment: error.deploymentId, error: errorMessage(error.cause) });
      throw error.cause;
    }
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
