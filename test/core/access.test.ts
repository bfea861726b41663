import { Grant, Principal, ROLES, Role, grantsFromGroups, hasRole } from '../../src/runtime/core/access';

function principal(...grants: Grant[]): Principal {
  return { subject: 'user-1', name: 'Ada', grants };
}

describe('grantsFromGroups', () => {
  test.each<[string, Role]>([
    ['viewer', 'viewer'],
    ['deployer', 'deployer'],
    ['admin', 'admin'],
  ])('%s applies to every application', (group, role) => {
    expect(grantsFromGroups([group])).toEqual([{ role, application: '*' }]);
  });

  test('<role>:<application> applies to that application only', () => {
    expect(grantsFromGroups(['deployer:shop'])).toEqual([{ role: 'deployer', application: 'shop' }]);
    expect(grantsFromGroups(['viewer:blog', 'admin:shop'])).toEqual([
      { role: 'viewer', application: 'blog' },
      { role: 'admin', application: 'shop' },
    ]);
  });

  test.each([
    ['admin:'],
    ['owner'],
    ['owner:shop'],
    ['viewer:a:b'],
    [':shop'],
    [''],
    ['Admin'],
    [' admin'],
    ['us-east-1_AbCdEf_Google'],
    ['admin:*'],
    ['viewer:*'],
    ['deployer:shop*'],
    ['admin:Shop'],
    ['release admin'],
    ['admin,viewer'],
    ['admin\tviewer'],
    ['[admin]'],
  ])('ignores the group %p', group => {
    expect(grantsFromGroups([group])).toEqual([]);
  });

  test('refused groups are reported with the reason; groups that name no role are not', () => {
    const refused: string[] = [];
    grantsFromGroups(['staff', 'release admin', 'admin:*', 'viewer:a:b', 'viewer:blog'], (group, reason) => refused.push(`${group}: ${reason}`));
    expect(refused).toEqual([
      'release admin: a group name with whitespace or a comma grants nothing',
      expect.stringMatching(/^admin:\*: the application '\*' must be 1-40 lowercase/),
      "viewer:a:b: '<role>:<application>' has one colon",
    ]);
  });

  test('keeps the grants of the valid groups among junk, in order', () => {
    expect(grantsFromGroups(['everyone', 'viewer', 'admin:', 'deployer:shop', 'viewer:a:b'])).toEqual([
      { role: 'viewer', application: '*' },
      { role: 'deployer', application: 'shop' },
    ]);
  });

  test('no groups, no grants', () => {
    expect(grantsFromGroups([])).toEqual([]);
  });

  test('ROLES lists the roles from least to most', () => {
    expect(ROLES).toEqual(['viewer', 'deployer', 'admin']);
  });
});

describe('hasRole', () => {
  test.each<[Role, Role, boolean]>([
    ['viewer', 'viewer', true],
    ['viewer', 'deployer', false],
    ['viewer', 'admin', false],
    ['deployer', 'viewer', true],
    ['deployer', 'deployer', true],
    ['deployer', 'admin', false],
    ['admin', 'viewer', true],
    ['admin', 'deployer', true],
    ['admin', 'admin', true],
  ])('a %s on every application holding %s: %p', (held, wanted, expected) => {
    expect(hasRole(principal({ role: held, application: '*' }), 'shop', wanted)).toBe(expected);
  });

  test('a per-application grant counts on that application only', () => {
    const shopDeployer = principal({ role: 'deployer', application: 'shop' });
    expect(hasRole(shopDeployer, 'shop', 'deployer')).toBe(true);
    expect(hasRole(shopDeployer, 'shop', 'viewer')).toBe(true);
    expect(hasRole(shopDeployer, 'shop', 'admin')).toBe(false);
    expect(hasRole(shopDeployer, 'blog', 'viewer')).toBe(false);
    expect(hasRole(shopDeployer, 'shopping', 'viewer')).toBe(false);
  });

  test('the highest matching grant wins across global and per-application grants', () => {
    const user = principal({ role: 'viewer', application: '*' }, { role: 'admin', application: 'blog' });
    expect(hasRole(user, 'blog', 'admin')).toBe(true);
    expect(hasRole(user, 'shop', 'viewer')).toBe(true);
    expect(hasRole(user, 'shop', 'deployer')).toBe(false);
  });

  test('a principal without grants holds nothing', () => {
    for (const role of ROLES) expect(hasRole(principal(), 'shop', role)).toBe(false);
  });

  test('groups turned into grants answer as expected end to end', () => {
    const user = principal(...grantsFromGroups(['viewer', 'deployer:shop', 'admin:']));
    expect(hasRole(user, 'shop', 'deployer')).toBe(true);
    expect(hasRole(user, 'blog', 'deployer')).toBe(false);
    expect(hasRole(user, 'blog', 'viewer')).toBe(true);
    expect(hasRole(user, 'shop', 'admin')).toBe(false);
  });
});
