import { ALL_APPLICATIONS, ValidationError } from '../../src/runtime/core';
import { GitHubRoleMapping, groupsOf, parseGitHubRoleMappings, rolesFromGitHub } from '../../src/runtime/core/github-role-mapping';

const MAPPINGS: GitHubRoleMapping[] = [
  { organization: 'Acme', role: 'viewer' },
  { organization: 'acme', team: 'Platform', role: 'admin' },
  { organization: 'acme', team: 'shop-devs', role: 'deployer', application: 'shop' },
  { organization: 'partner', team: 'ops', role: 'deployer' },
];

describe('rolesFromGitHub', () => {
  test('an organization member without a team gets the role on every application', () => {
    expect(rolesFromGitHub(MAPPINGS, ['acme'], [])).toEqual([{ role: 'viewer', application: ALL_APPLICATIONS }]);
  });

  test('a team member gets the team role, scoped to the application when the mapping names one', () => {
    expect(rolesFromGitHub(MAPPINGS, ['acme'], [{ organization: 'acme', slug: 'shop-devs' }])).toEqual([
      { role: 'viewer', application: ALL_APPLICATIONS },
      { role: 'deployer', application: 'shop' },
    ]);
    expect(groupsOf(rolesFromGitHub(MAPPINGS, ['acme'], [{ organization: 'acme', slug: 'platform' }]))).toEqual(['viewer', 'admin']);
  });

  test('organizations and teams compare case-insensitively', () => {
    expect(groupsOf(rolesFromGitHub(MAPPINGS, ['ACME'], [{ organization: 'ACME', slug: 'PLATFORM' }]))).toEqual(['viewer', 'admin']);
  });

  test('a team of the same slug in another organization grants nothing, and membership of an organization alone does not grant its teams\' roles', () => {
    expect(rolesFromGitHub(MAPPINGS, ['other'], [{ organization: 'other', slug: 'platform' }])).toEqual([]);
    expect(rolesFromGitHub(MAPPINGS, ['partner'], [])).toEqual([]);
  });

  test('a user in none of the mapped organizations or teams gets no grant', () => {
    expect(rolesFromGitHub(MAPPINGS, [], [])).toEqual([]);
    expect(rolesFromGitHub([], ['acme'], [{ organization: 'acme', slug: 'platform' }])).toEqual([]);
  });

  test('the same grant from two mappings is given once', () => {
    const twice: GitHubRoleMapping[] = [{ organization: 'acme', role: 'admin' }, { organization: 'acme', team: 'platform', role: 'admin' }];
    expect(groupsOf(rolesFromGitHub(twice, ['acme'], [{ organization: 'acme', slug: 'platform' }]))).toEqual(['admin']);
  });
});

describe('parseGitHubRoleMappings', () => {
  const issues = (raw: unknown) => {
    try {
      parseGitHubRoleMappings(raw, 'roles');
    } catch (error) {
      if (error instanceof ValidationError) return error.issues.map(issue => `${issue.path}: ${issue.message}`);
      throw error;
    }
    return [];
  };

  test('valid mappings come back as given', () => {
    expect(parseGitHubRoleMappings(MAPPINGS, 'roles')).toEqual(MAPPINGS);
  });

  test('each problem is named at its path', () => {
    expect(issues([
      { organization: '-acme', role: 'viewer' },
      { organization: 'acme', team: 'acme/platform', role: 'owner' },
      { organization: 'acme', role: 'admin', application: 'Shop' },
      { organization: 'acme', role: 'admin', teams: 'x' },
      'acme',
    ])).toEqual([
      expect.stringMatching(/^roles\[0\]\.organization: '-acme' must be a GitHub organization's login/),
      expect.stringMatching(/^roles\[1\]\.team: 'acme\/platform' must be a team's slug.*the organization is `organization`/),
      expect.stringMatching(/^roles\[1\]\.role: 'owner' must be one of viewer, deployer, admin/),
      expect.stringMatching(/^roles\[2\]\.application: 'Shop' must be 1-40 lowercase/),
      expect.stringMatching(/^roles\[3\]\.teams: is not a known field; did you mean `team`\?/),
      expect.stringMatching(/^roles\[4\]: must be an object/),
    ]);
  });

  test('a list is required', () => {
    expect(issues({ organization: 'acme', role: 'admin' })).toEqual([expect.stringMatching(/^roles: must be a list/)]);
  });
});
