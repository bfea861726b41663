import { DeploymentScheduler } from '../runtime/core/deployment-scheduler';
import { IllegalTransitionError } from '../runtime/core/errors';
import { Clock, Store } from '../runtime/core/ports';
import { isTerminal } from '../runtime/core/state-machine';
import { Deployment } from '../runtime/core/types';

export const INTERRUPTED_REASON = 'interrupted: the local server stopped before this deployment finished';
/** Deployments looked at per environment: far more than can be unfinished at once (one holder, one waiting). */
const RECENT = 50;

/**
 * At start, end what a previous run left unfinished (it was killed, so no build or queue
 * survived): each queued or running deployment becomes failed with the reason, and its
 * environment's lock is released, so the environment takes new deployments again.
 */
export async function failInterrupted(store: Store, clock?: Clock): Promise<Deployment[]> {
  const scheduler = new DeploymentScheduler(store, clock);
  const failed: Deployment[] = [];
  for (const app of await store.config.listApplications()) {
    for (const env of app.environments) {
      const { items } = await store.deployments.listByEnvironment(app.name, env.name, { limit: RECENT });
      for (const deployment of items.filter(item => !isTerminal(item.status)).reverse()) {
        try {
          failed.push((await scheduler.complete(deployment.id, 'failed', { reason: INTERRUPTED_REASON })).deployment);
        } catch (error) {
          if (!(error instanceof IllegalTransitionError)) throw error;
        }
      }
    }
  }
  return failed;
}
