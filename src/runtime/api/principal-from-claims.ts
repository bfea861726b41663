import { Principal, grantsFromGroups } from '../core/access';

/**
 * The caller from the claims API Gateway's JWT authorizer has already verified. HTTP APIs
 * hand array claims over as one string (`"[admin deployer]"`), some issuers send
 * `"admin,deployer"`; both, and real arrays, become the same groups.
 */
export function principalFromClaims(claims: Record<string, unknown>): Principal | undefined {
  const subject = claims.sub;
  if (typeof subject !== 'string' || subject === '') return undefined;
  const name = [claims.name, claims.email, claims['cognito:username'], claims.username]
    .find((value): value is string => typeof value === 'string' && value !== '');
  const groups = [...groupsOf(claims['cognito:groups']), ...groupsOf(claims.groups)];
  return { subject, name: name ?? subject, grants: grantsFromGroups(groups) };
}

function groupsOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((group): group is string => typeof group === 'string');
  if (typeof value !== 'string') return [];
  const text = value.trim().replace(/^\[(.*)\]$/s, '$1');
  return text.split(/[\s,]+/).map(group => group.replace(/^"(.*)"$/, '$1')).filter(group => group !== '');
}
