import { DeploymentStatus } from './types';

/**
 * The deployment state machine: the one table of allowed transitions.
 * Stores turn it into conditions, so an illegal transition is refused by the database too.
 */
export const TRANSITIONS: Readonly<Record<DeploymentStatus, readonly DeploymentStatus[]>> = {
  // failed: the executor refused to start it (RunTask failure, launcher error).
  queued: ['running', 'failed', 'cancelled', 'superseded'],
  // superseded: the builder found, after the clone, that a newer push of its branch is deployed.
  running: ['succeeded', 'failed', 'cancelled', 'superseded'],
  succeeded: [],
  failed: [],
  cancelled: [],
  superseded: [],
};

export const DEPLOYMENT_STATUSES = Object.keys(TRANSITIONS) as DeploymentStatus[];

export function canTransition(from: DeploymentStatus, to: DeploymentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Statuses a deployment may be in for a move to `to` to be legal. */
export function allowedSources(to: DeploymentStatus): DeploymentStatus[] {
  return DEPLOYMENT_STATUSES.filter(from => canTransition(from, to));
}

export function isTerminal(status: DeploymentStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

export function isDeploymentStatus(value: unknown): value is DeploymentStatus {
  return typeof value === 'string' && (DEPLOYMENT_STATUSES as string[]).includes(value);
}
