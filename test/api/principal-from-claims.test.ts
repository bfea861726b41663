import { principalFromClaims } from '../../src/runtime/api/control-api';

describe('principalFromClaims', () => {
  test('Cognito ID token claims as API Gateway HTTP APIs pass them: groups as "[a b]"', () => {
    expect(principalFromClaims({ 'sub': 'u-1', 'email': 'ada@example.com', 'cognito:username': 'ada', 'cognito:groups': '[admin deployer:web]' })).toEqual({
      subject: 'u-1',
      name: 'ada@example.com',
      grants: [{ role: 'admin', application: '*' }, { role: 'deployer', application: 'web' }],
    });
  });

  test('groups as a comma list, a JSON-ish list, a real array, or `groups`', () => {
    const grants = (claims: Record<string, unknown>) => principalFromClaims({ sub: 'u', ...claims })?.grants;
    expect(grants({ 'cognito:groups': 'viewer,deployer:api' })).toEqual([{ role: 'viewer', application: '*' }, { role: 'deployer', application: 'api' }]);
    expect(grants({ 'cognito:groups': '["viewer", "admin:web"]' })).toEqual([{ role: 'viewer', application: '*' }, { role: 'admin', application: 'web' }]);
    expect(grants({ 'cognito:groups': ['deployer'] })).toEqual([{ role: 'deployer', application: '*' }]);
    expect(grants({ groups: 'viewer' })).toEqual([{ role: 'viewer', application: '*' }]);
    expect(grants({ 'cognito:groups': '[]' })).toEqual([]);
    expect(grants({ 'cognito:groups': 'us-east-1_abc_Google, staff' })).toEqual([]);
    expect(grants({})).toEqual([]);
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
