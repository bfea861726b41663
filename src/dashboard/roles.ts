import { Me } from '../runtime/core/api-types';

/** A grant's (or token's) application that means every application: core/access's, which the bundle does not import. */
export const ALL_APPLICATIONS = '*';

/**
 * Whether the signed-in user is an admin of every application (the `admin` group): what the
 * installation-wide pages need (connecting GitHub). Only shows or hides controls: the API decides.
 */
export function isInstallationAdmin(me: Me | undefined): boolean {
  return me?.grants.some(grant => grant.application === ALL_APPLICATIONS && grant.role === 'admin') ?? false;
}

/** Whether the user administers at least one application: who manages API tokens (for those applications). */
export function administersAnyApplication(me: Me | undefined): boolean {
  return me?.grants.some(grant => grant.role === 'admin') ?? false;
}

/** The applications of `names` the user administers (admin is the highest role: no other grant includes it). */
export function administeredApplications(me: Me | undefined, names: readonly string[]): string[] {
  const grants = me?.grants.filter(grant => grant.role === 'admin') ?? [];
  return names.filter(name => grants.some(grant => grant.application === ALL_APPLICATIONS || grant.application === name));
}
