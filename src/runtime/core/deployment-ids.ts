import { randomBytes } from 'crypto';
import { Clock } from './ports';

/**
 * Deployment ids sort in request order: `20261123T121310123Z-1a2b3c4d`.
 * "Newer request" in the lock rule means a greater id.
 */
export function newDeploymentId(clock: Clock, random: () => string = () => randomBytes(4).toString('hex')): string {
  const stamp = clock.now().toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${random()}`;
}

const DEPLOYMENT_ID = /^\d{8}T\d{9}Z-[0-9a-f]{8}$/;

export function isDeploymentId(value: string): boolean {
  return DEPLOYMENT_ID.test(value);
}

export function isNewer(candidate: string, than: string): boolean {
  return candidate > than;
}
