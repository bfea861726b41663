import { Deployment, Store, isTerminal } from '../../../src/runtime/core';

/** What an environment looks like once every fault has played out. */
export interface Settled {
  readonly deployments: Deployment[];
  readonly unfinished: string[];
  readonly lockHolder?: string;
  readonly pending?: string;
  readonly currentDeploymentId?: string;
}

/** Every deployment of the environment (oldest first) and its lock, read from the store. */
export async function settled(store: Store, application: string, environment: string): Promise<Settled> {
  const deployments: Deployment[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.deployments.listByEnvironment(application, environment, { limit: 100, cursor });
    deployments.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  deployments.reverse();
  const env = await store.config.getEnvironment(application, environment);
  return {
    deployments,
    unfinished: deployments.filter(d => !isTerminal(d.status)).map(d => `${d.id} ${d.status}`),
    lockHolder: env?.lockHolder,
    pending: env?.pending,
    currentDeploymentId: env?.currentDeploymentId,
  };
}
