import { ALL_APPLICATIONS, Grant, ROLES, Role } from './access';
import { ValidationError, ValidationIssue } from './errors';
import { GitHubTeam } from './github';
import { applicationName, printable } from './names';
import { isPlainObject } from './plain-object';
import { unknownKeyIssues } from './unknown-keys';

/**
 * Who gets which role after signing in with GitHub: the members of an organization, or of one
 * of its teams, get `role` on every application or on `application` only.
 */
export interface GitHubRoleMapping {
  /** The organization's login (`acme`); compared case-insensitively, as GitHub does. */
  readonly organization: string;
  /** A team's slug (`platform`, not `acme/platform`): only its members. @default every member of the organization */
  readonly team?: string;
  readonly role: Role;
  /** @default every application */
  readonly application?: string;
}

/**
 * The grants a GitHub user's memberships earn: every mapping whose organization (no team) or
 * team the user is in. None: the user may not sign in.
 */
export function rolesFromGitHub(mappings: readonly GitHubRoleMapping[], organizations: readonly string[], teams: readonly GitHubTeam[]): Grant[] {
  const orgs = new Set(organizations.map(org => org.toLowerCase()));
  const teamNames = new Set(teams.map(team => teamName(team.organization, team.slug)));
  const grants = new Map<string, Grant>();
  for (const mapping of mappings) {
    const member = mapping.team === undefined
      ? orgs.has(mapping.organization.toLowerCase())
      : teamNames.has(teamName(mapping.organization, mapping.team));
    if (!member) continue;
    const grant = { role: mapping.role, application: mapping.application ?? ALL_APPLICATIONS };
    grants.set(`${grant.role}:${grant.application}`, grant);
  }
  return [...grants.values()];
}

/** The groups a Trellis token carries for grants, as principalFromClaims reads them back (`admin`, `deployer:shop`). */
export function groupsOf(grants: readonly Grant[]): string[] {
  return grants.map(grant => grant.application === ALL_APPLICATIONS ? grant.role : `${grant.role}:${grant.application}`);
}

/** `org/team-slug` as the sign-in's refusal names it; lower case. */
export function teamName(organization: string, slug: string): string {
  return `${organization}/${slug}`.toLowerCase();
}

/** What a mapping grants, for a person reading why they were refused: `acme/platform → deployer of shop`. */
export function describeMapping(mapping: GitHubRoleMapping): string {
  const who = mapping.team === undefined ? `members of ${mapping.organization}` : teamName(mapping.organization, mapping.team);
  return `${who} → ${mapping.role}${mapping.application === undefined ? '' : ` of ${mapping.application}`}`;
}

const MAPPING_KEYS: readonly string[] = ['organization', 'team', 'role', 'application'];
// GitHub logins: letters, digits, single hyphens, at most 39, no hyphen at either end.
const ORGANIZATION = /^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$/;
// Team slugs are made from team names: letters, digits, `-`, `_` and `.`.
const TEAM_SLUG = /^[A-Za-z0-9_.-]{1,100}$/;

/**
 * A list of mappings as the construct's props and the local config file give it, checked: each
 * problem named at its path (`roles[1].team`). Throws ValidationError.
 */
export function parseGitHubRoleMappings(raw: unknown, path: string): GitHubRoleMapping[] {
  if (!Array.isArray(raw)) throw new ValidationError([{ path, message: 'must be a list of { organization, team?, role, application? }' }]);
  const issues: ValidationIssue[] = [];
  const mappings = raw.map((entry: unknown, index) => mappingIssues(entry, `${path}[${index}]`, issues));
  if (issues.length > 0) throw new ValidationError(issues);
  return mappings as GitHubRoleMapping[];
}

function mappingIssues(entry: unknown, path: string, issues: ValidationIssue[]): GitHubRoleMapping | undefined {
  if (!isPlainObject(entry)) {
    issues.push({ path, message: 'must be an object { organization, team?, role, application? }' });
    return undefined;
  }
  issues.push(...unknownKeyIssues(entry, MAPPING_KEYS, path));
  const { organization, team, role, application } = entry;
  if (typeof organization !== 'string' || !ORGANIZATION.test(organization)) {
    issues.push({ path: `${path}.organization`, message: `${shown(organization)} must be a GitHub organization's login, such as 'acme'` });
  }
  if (team !== undefined && (typeof team !== 'string' || !TEAM_SLUG.test(team))) {
    const hint = typeof team === 'string' && team.includes('/') ? ": give the team's slug alone; the organization is `organization`" : '';
    issues.push({ path: `${path}.team`, message: `${shown(team)} must be a team's slug, such as 'platform'${hint}` });
  }
  if (typeof role !== 'string' || !ROLES.includes(role as Role)) {
    issues.push({ path: `${path}.role`, message: `${shown(role)} must be one of ${ROLES.join(', ')}` });
  }
  if (application !== undefined) {
    const problem = typeof application === 'string' ? applicationName(application) : 'must be an application name';
    if (problem) issues.push({ path: `${path}.application`, message: problem });
  }
  return {
    organization: organization as string,
    role: role as Role,
    ...team === undefined ? {} : { team: team as string },
    ...application === undefined ? {} : { application: application as string },
  };
}

function shown(value: unknown): string {
  return typeof value === 'string' ? `'${printable(value)}'` : 'it';
}
