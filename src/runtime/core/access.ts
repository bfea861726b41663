/**
 * Who may do what, as one rule for the control API, the WebSocket API and local mode.
 * Identity providers put users in groups; groups become grants:
 * `viewer`, `deployer`, `admin` apply to every application, `<role>:<application>` to one.
 */

export type Role = 'viewer' | 'deployer' | 'admin';

export const ROLES: readonly Role[] = ['viewer', 'deployer', 'admin'];

export interface Grant {
  /** An application name, or `*` for all of them. */
  readonly application: string;
  readonly role: Role;
}

/** An authenticated caller. */
export interface Principal {
  /** Stable user id (the token's `sub`). */
  readonly subject: string;
  /** Display name for logs and `actor` fields. */
  readonly name: string;
  readonly grants: readonly Grant[];
}

/** Grants from group names; groups that name no role are ignored. */
export function grantsFromGroups(groups: readonly string[]): Grant[] {
  const grants: Grant[] = [];
  for (const group of groups) {
    const [role, application, ...rest] = group.split(':');
    if (!ROLES.includes(role as Role) || rest.length > 0 || application === '') continue;
    grants.push({ role: role as Role, application: application ?? '*' });
  }
  return grants;
}

const RANK: Record<Role, number> = { viewer: 0, deployer: 1, admin: 2 };

/** True when the principal holds `role` (or a higher one) on `application`. */
export function hasRole(principal: Principal, application: string, role: Role): boolean {
  return principal.grants.some(grant => (grant.application === '*' || grant.application === application) && RANK[grant.role] >= RANK[role]);
}

/** Answers the question asked by a client on a live connection. */
export interface Authenticator {
  /** The principal a token stands for; throws UnauthorizedError when it does not verify. */
  authenticate(token: string | undefined): Promise<Principal>;
}
