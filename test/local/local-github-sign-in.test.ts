import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { FileSecretSource } from '../../src/local/file-secret-source';
import { parseLocalConfig } from '../../src/local/local-config';
import { DEFAULT_LOCAL_GITHUB_ROLES, LOCAL_GITHUB_USER, localGitHubSignIn } from '../../src/local/local-github-sign-in';
import { ValidationError } from '../../src/runtime/core/errors';
import { groupsOf, rolesFromGitHub } from '../../src/runtime/core/github-role-mapping';

const dirs = { configDir: '/home/ada/config', dataDir: '/home/ada/.trellis/local' };
const APPLICATIONS = [{ name: 'shop', repository: './shop' }];

function issues(raw: unknown): string[] {
  try {
    parseLocalConfig(raw, dirs);
  } catch (error) {
    if (error instanceof ValidationError) return error.issues.map(issue => `${issue.path}: ${issue.message}`);
    throw error;
  }
  throw new Error('expected a ValidationError');
}

/** Local mode's role mapping for sign in with GitHub: the config file's `github.roles`, or the default. */
describe('local mode\'s GitHub roles', () => {
  test('without a github section the stand-in\'s own user signs in as admin', () => {
    const config = parseLocalConfig({ applications: APPLICATIONS }, dirs);
    expect(config.githubRoles).toBeUndefined();
    const secrets = new FileSecretSource(join(mkdtempSync(join(tmpdir(), 'trellis-local-roles-')), 'secrets.json'));
    const { roles } = localGitHubSignIn(config, secrets, 'local', () => undefined);
    expect(roles).toBe(DEFAULT_LOCAL_GITHUB_ROLES);
    expect(groupsOf(rolesFromGitHub(roles, LOCAL_GITHUB_USER.organizations, []))).toEqual(['admin']);
    // Anyone else the developer adds to the stand-in gets nothing until the file maps them.
    expect(rolesFromGitHub(roles, ['acme'], [{ organization: 'acme', slug: 'platform' }])).toEqual([]);
  });

  test('github.roles replaces the default and is checked by the construct\'s rules', () => {
    const roles = [{ organization: 'acme', team: 'shop-devs', role: 'deployer', application: 'shop' }];
    const config = parseLocalConfig({ applications: APPLICATIONS, github: { roles } }, dirs);
    expect(config.githubRoles).toEqual(roles);
    const secrets = new FileSecretSource(join(mkdtempSync(join(tmpdir(), 'trellis-local-roles-')), 'secrets.json'));
    expect(localGitHubSignIn(config, secrets, 'local', () => undefined).roles).toEqual(roles);
  });

  test('problems are named at their path, with the application problems', () => {
    expect(issues({ applications: APPLICATIONS, github: { roles: [{ organization: 'acme', role: 'owner' }], role: [] } })).toEqual([
      expect.stringMatching(/^github\.role: is not a known field; did you mean `roles`\?/),
      expect.stringMatching(/^github\.roles\[0\]\.role: 'owner' must be one of viewer, deployer, admin/),
    ]);
    expect(issues({ applications: APPLICATIONS, github: [] })).toEqual([expect.stringMatching(/^github: must be an object/)]);
    expect(issues({ applications: APPLICATIONS, github: {} })).toEqual([expect.stringMatching(/^github\.roles: must be a list/)]);
    expect(issues({ applications: APPLICATIONS, githb: {} })).toEqual([expect.stringMatching(/^githb: is not a known field; did you mean `github`\?/)]);
  });
});
