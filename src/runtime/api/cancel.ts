import { ApiCall } from './api-call';
import { requireAction, requireRole } from './permissions';
import { emptyBody } from './request-body';
import { NotFoundError } from '../core/errors';
import { HttpResponse, json } from '../core/http';
import { cancelDeployment } from '../deployments/cancel';

/**
 * Cancel a queued or running deployment (build/cancel.ts does it); a finished one comes
 * back unchanged. Needs the right to act in its environment; an environment that no
 * longer exists counts as protected.
 */
export async function cancel({ principal, params, body, deps }: ApiCall): Promise<HttpResponse> {
  const deployment = await deps.store.deployments.get(params.id);
  if (!deployment) throw new NotFoundError(`deployment ${params.id} does not exist`);
  requireRole(principal, deployment.application, 'deployer', 'cancelling');
  emptyBody(body);
  const env = await deps.store.config.getEnvironment(deployment.application, deployment.environment);
  requireAction(principal, deployment.application, { name: deployment.environment, protected: env?.protected ?? true }, 'cancel');
  const { store, runner, clock, log, queue } = deps;
  // The next waiting deployment goes to the launcher: this function may stop builds, not start them.
  const cancelled = await cancelDeployment(deployment.id, principal.name, { store, runner, clock, log, queue });
  deps.log({ message: 'deployment cancel requested', deployment: deployment.id, status: cancelled.status, actor: principal.name });
  return json(200, cancelled);
}
