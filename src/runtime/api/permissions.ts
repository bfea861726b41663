import { ALL_APPLICATIONS, Principal, Role, hasRole } from '../core/access';
import { ForbiddenError } from '../core/errors';

/**
 * The control API's role rules: viewer reads; deployer acts in environments that are not
 * protected; admin acts everywhere and changes settings.
 */

/** The role an action in this environment needs. */
export function actionRole(env: { readonly protected: boolean }): Role {
  return env.protected ? 'admin' : 'deployer';
}

export function mayAct(principal: Principal, application: string, env: { readonly protected: boolean }): boolean {
  return hasRole(principal, application, actionRole(env));
}

/** Throws ForbiddenError saying which role `what` needs. */
export function requireRole(principal: Principal, application: string, role: Role, what: string): void {
  if (!hasRole(principal, application, role)) {
    throw new ForbiddenError(`${what} needs the ${role} role on application ${application}`);
  }
}

/** Throws ForbiddenError unless the caller is an admin of every application (the installation's own settings). */
export function requireInstallationAdmin(principal: Principal, what: string): void {
  if (!hasRole(principal, ALL_APPLICATIONS, 'admin')) throw new ForbiddenError(`${what} needs the admin role on all applications`);
}

/** Deploy, promote, rollback, teardown or cancel in `env` (for a promotion: the environment it deploys to). */
export function requireAction(
  principal: Principal,
  application: string,
  env: { readonly name: string; readonly protected: boolean },
  action: string,
): void {
  const role = actionRole(env);
  if (!hasRole(principal, application, role)) {
    const why = env.protected ? ` (${application}/${env.name} is protected)` : '';
    throw new ForbiddenError(`${action} in ${application}/${env.name} needs the ${role} role${why}`);
  }
}
