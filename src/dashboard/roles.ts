import { Me } from '../runtime/core/api-types';

/**
 * Whether the signed-in user is an admin of every application (the `admin` group): what the
 * installation-wide pages need (connecting GitHub). Only shows or hides controls: the API decides.
 */
export function isInstallationAdmin(me: Me | undefined): boolean {
  return me?.grants.some(grant => grant.application === '*' && grant.role === 'admin') ?? false;
}
