import { Store } from '../runtime/core/ports';
import { Deployment } from '../runtime/core/types';

/** Told about every deployment this process records or moves to another status. */
export type DeploymentListener = (deployment: Deployment) => void;

/**
 * The store with every create and transition reported to `listener` once written. Local mode
 * prints a line per state change from it; every status change of a deployment is made by the
 * local server's process (webhook, API, launch, finalize), never by a build.
 */
export function observeDeployments(store: Store, listener: DeploymentListener): Store {
  const deployments = store.deployments;
  const tell = (deployment: Deployment) => {
    try {
      listener(deployment);
    } catch {
      // A listener's failure is never the store's: the write has happened.
    }
  };
  return {
    ...store,
    deployments: {
      create: async deployment => {
        await deployments.create(deployment);
        tell(deployment);
      },
      transition: async (id, to, details) => {
        const moved = await deployments.transition(id, to, details);
        tell(moved);
        return moved;
      },
      get: id => deployments.get(id),
      listByEnvironment: (application, environment, options) => deployments.listByEnvironment(application, environment, options),
      attachTask: (id, taskId, ingestTokenHash) => deployments.attachTask(id, taskId, ingestTokenHash),
      logBinding: id => deployments.logBinding(id),
      ingestToken: (id, candidate) => deployments.ingestToken(id, candidate),
      keepGitHubDeployment: (id, githubDeploymentId) => deployments.keepGitHubDeployment(id, githubDeploymentId),
      claimEnvironment: (application, environment, which, options) => deployments.claimEnvironment(application, environment, which, options),
      releaseEnvironment: (application, environment, holder, version) => deployments.releaseEnvironment(application, environment, holder, version),
    },
  };
}
