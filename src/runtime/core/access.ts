import { applicationName, printable } from './names';

/**
 * Who may do what, as one rule for the control API, the WebSocket API and local mode.
 * Identity providers put users in groups; groups become grants:
 * `viewer`, `deployer`, `admin` apply to every application, `<role>:<application>` to one.
 */
export type Role = 'viewer' | 'deployer' | 'admin';

export const ROLES: readonly Role[] = ['viewer', 'deployer', 'admin'];

export interface Grant {
  /** An application name, or ALL_APPLICATIONS (`*`, never an application's name) for all of them. */
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
  /** The id of the API token the caller signed in with (core/api-tokens.ts); absent for a person. */
  readonly apiToken?: string;
}

/** Why a group that names a role grants nothing, or undefined when it is a grant (or names no role at all). */
export function refusedGroup(group: string): string | undefined {
  // Some channels flatten a list of groups into one string ("[a b]", "a,b"): a name with a separator
  // in it is never taken apart, and never trusted either.
  if (/[\s,]/.test(group)) return 'a group name with whitespace or a comma grants nothing';
  const [role, application, ...rest] = group.split(':');
  if (!ROLES.includes(role as Role) || application === undefined) return undefined;
  if (rest.length > 0) return "'<role>:<application>' has one colon";
  // Also refuses `*`: no configured application can have that name, and it is no wildcard here.
  const problem = applicationName(application);
  return problem ? `the application ${problem}` : undefined;
}

/**
 * Grants from group names; groups that name no role are ignored, and so are the ones
 * refusedGroup refuses (`onRefused` hears about those).
 */
export function grantsFromGroups(groups: readonly string[], onRefused: (group: string, reason: string) => void = () => undefined): Grant[] {
  const grants: Grant[] = [];
  for (const group of groups) {
    const reason = refusedGroup(group);
    if (reason) {
      onRefused(group, reason);
      continue;
    }
    const [role, application] = group.split(':');
    if (!ROLES.includes(role as Role)) continue;
    grants.push({ role: role as Role, application: application ?? ALL_APPLICATIONS });
  }
  return grants;
}

/** Where a refused group is reported. */
type LogEntry = (entry: Record<string, unknown>) => void;

/** The application of a grant given by a role-only group (`admin`): every application. */
export const ALL_APPLICATIONS = '*';

/**
 * The caller that verified token claims stand for, on every path (control API, WebSocket, local
 * mode). Groups are `cognito:groups` and `groups`, each a JSON array of names as the token carries
 * them, or one name; a string is never split into several groups. Undefined without a subject.
 */
export function principalFromClaims(claims: Readonly<Record<string, unknown>>, log: LogEntry = () => undefined): Principal | undefined {
  const subject = claims.sub;
  if (typeof subject !== 'string' || subject === '') return undefined;
  const name = [claims.name, claims.email, claims['cognito:username'], claims.username]
    .find((value): value is string => typeof value === 'string' && value !== '');
  const groups = [claims['cognito:groups'], claims.groups].flat().filter((group): group is string => typeof group === 'string');
  const grants = grantsFromGroups(groups, (group, reason) => log({ message: 'group refused', subject: printable(subject), group: printable(group), reason }));
  return { subject, name: name ?? subject, grants };
}

const RANK: Record<Role, number> = { viewer: 0, deployer: 1, admin: 2 };

/** True when the principal holds `role` (or a higher one) on `application`. */
export function hasRole(principal: Principal, application: string, role: Role): boolean {
  return principal.grants.some(grant => [ALL_APPLICATIONS, application].includes(grant.application) && RANK[grant.role] >= RANK[role]);
}

/** Answers the question asked by a client on a live connection. */
export interface Authenticator {
  /** The principal a token stands for; throws UnauthorizedError when it does not verify. */
  authenticate(token: string | undefined): Promise<Principal>;
  /**
   * Whether a principal this authenticator let in earlier may still act (a socket's, checked at
   * each subscription). Absent: as long as the connection that proved it lasts.
   */
  stillValid?(principal: Principal): Promise<boolean>;
}
