import { CurrentVersion, Store } from './ports';
import { isTerminal } from './state-machine';
import { Deployment, EnvironmentState } from './types';

/** What a finished deployment leaves running: its commit if it deployed, nothing after a teardown. */
export function versionAfter(deployment: Deployment): CurrentVersion | null | undefined {
  if (deployment.status !== 'succeeded') return undefined;
  return deployment.action === 'teardown' ? null : { deploymentId: deployment.id, commit: deployment.commit };
}

/**
 * The version an environment runs, as a person acting on it means it. The finalizer ends a
 * deployment and then, in a second write, releases the lock and records its version: between
 * the two, a lock holder that already ended counts for what it leaves, so an action taken the
 * moment a deployment shows "succeeded" acts on that deployment's version.
 */
export async function currentVersion(env: EnvironmentState, store: Store): Promise<CurrentVersion | undefined> {
  const holder = env.lockHolder === undefined ? undefined : await store.deployments.get(env.lockHolder);
  const after = holder && isTerminal(holder.status) ? versionAfter(holder) : undefined;
  if (after !== undefined) return after ?? undefined;
  return env.currentDeploymentId === undefined || env.currentCommit === undefined
    ? undefined
    : { deploymentId: env.currentDeploymentId, commit: env.currentCommit };
}
