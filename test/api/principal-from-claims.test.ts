import { principalFromClaims } from '../../src/runtime/api/control-api';

/** What a log received. */
function recorder(): { entries: Array<Record<string, unknown>>; log: (entry: Record<string, unknown>) => void } {
  const entries: Array<Record<string, unknown>> = [];
  return { entries, log: entry => entries.push(entry) };
}

describe('principalFromClaims', () => {
  test('groups are the arrays the token carries', () => {
    expect(principalFromClaims({ 'sub': 'u-1', 'email': 'ada@example.com', 'cognito:username': 'ada', 'cognito:groups': ['admin', 'deployer:web'] })).toEqual({
      subject: 'u-1',
      name: 'ada@example.com',
      grants: [{ role: 'admin', application: '*' }, { role: 'deployer', application: 'web' }],
    });
    expect(principalFromClaims({ sub: 'u', groups: ['viewer:blog'] })?.grants).toEqual([{ role: 'viewer', application: 'blog' }]);
  });

  test('a string is one group, never split into several', () => {
    const grants = (claims: Record<string, unknown>) => principalFromClaims({ sub: 'u', ...claims })?.grants;
    expect(grants({ 'cognito:groups': 'deployer:api' })).toEqual([{ role: 'deployer', application: 'api' }]);
    // Each of these was split into "admin"/"viewer" grants before.
    expect(grants({ 'cognito:groups': '[release admin]' })).toEqual([]);
    expect(grants({ 'cognito:groups': 'viewer,deployer:api' })).toEqual([]);
    expect(grants({ 'cognito:groups': '["viewer", "admin:web"]' })).toEqual([]);
    expect(grants({ groups: 'us-east-1_abc_Google, admin' })).toEqual([]);
  });

  test('a group named "release admin" grants nothing, and the refusal is logged', () => {
    const { entries, log } = recorder();
    expect(principalFromClaims({ 'sub': 'u-1', 'cognito:groups': ['release admin', 'ops,admin', 'viewer:blog'] }, log)?.grants)
      .toEqual([{ role: 'viewer', application: 'blog' }]);
    expect(entries).toEqual([
      { message: 'group refused', subject: 'u-1', group: 'release admin', reason: 'a group name with whitespace or a comma grants nothing' },
      { message: 'group refused', subject: 'u-1', group: 'ops,admin', reason: 'a group name with whitespace or a comma grants nothing' },
    ]);
  });

  test('"admin:*" is no wildcard: it grants nothing, on any application', () => {
    const { entries, log } = recorder();
    const principal = principalFromClaims({ 'sub': 'u-1', 'cognito:groups': ['admin:*', 'deployer:shop*', 'viewer:*'] }, log);
    expect(principal?.grants).toEqual([]);
    expect(entries.map(entry => entry.group)).toEqual(['admin:*', 'deployer:shop*', 'viewer:*']);
    expect(String(entries[0].reason)).toMatch(/^the application '\*' must be/);
  });

  test('the name: name, then email, then cognito:username, then the subject', () => {
    expect(principalFromClaims({ sub: 'u', name: 'Ada', email: 'a@x' })?.name).toBe('Ada');
    expect(principalFromClaims({ 'sub': 'u', 'cognito:username': 'ada' })?.name).toBe('ada');
    expect(principalFromClaims({ sub: 'u', name: '' })?.name).toBe('u');
  });

  test('no subject, no principal', () => {
    expect(principalFromClaims({})).toBeUndefined();
    expect(principalFromClaims({ sub: '' })).toBeUndefined();
    expect(principalFromClaims({ sub: 42 })).toBeUndefined();
  });
});
