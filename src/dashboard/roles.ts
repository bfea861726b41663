import { ALL_APPLICATIONS, hasRole } from '../runtime/core/access';
import { Me } from '../runtime/core/api-types';

export { ALL_APPLICATIONS } from '../runtime/core/access';

/**
 * Whether the signed-in user is an admin of every application (the `admin` group): what the
 * installation-wide pages need (connecting GitHub). Only shows or hides controls: the API decides.
 */
export function isInstallationAdmin(me: Me | undefined): boolean {
  return me !== undefined && hasRole(me, ALL_APPLICATIONS, 'admin');
}

/** Whether the user administers at least one application: who manages API tokens (for those applications). */
export function administersAnyApplication(me: Me | undefined): boolean {
  return me?.grants.some(grant => grant.role === 'admin') ?? false;
}

/** Whether the user administers `app`: who sees its audit trail. */
export function administers(me: Me | undefined, app: string): boolean {
  return me !== undefined && hasRole(me, app, 'admin');
}

/** The applications of `names` the user administers. */
export function administeredApplications(me: Me | undefined, names: readonly string[]): string[] {
  return me === undefined ? [] : names.filter(name => hasRole(me, name, 'admin'));
}
