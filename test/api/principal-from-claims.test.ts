import { principalFromClaims, principalFromHttpApi } from '../../src/runtime/api/control-api';
import { encodePart } from '../support/jwt';

/** What a log received. */
function recorder(): { entries: Array<Record<string, unknown>>; log: (entry: Record<string, unknown>) => void } {
  const entries: Array<Record<string, unknown>> = [];
  return { entries, log: entry => entries.push(entry) };
}

/** An unsigned JWT with these claims: the HTTP path reads a token API Gateway has verified, it verifies nothing itself. */
function jwt(claims: Record<string, unknown>): string {
  return `${encodePart({ alg: 'RS256', typ: 'JWT', kid: 'k' })}.${encodePart(claims)}.c2lnbmF0dXJl`;
}

/** How API Gateway's JWT authorizer hands claims to the integration: every value a string, arrays as "[a b]". */
function flattened(claims: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(claims).map(([name, value]) => [name, Array.isArray(value) ? `[${value.join(' ')}]` : String(value)]));
}

const TOKEN_CLAIMS = { iss: 'https://issuer.example', sub: 'u-1', aud: 'client', iat: 1790000000, exp: 1790003600, email: 'ada@example.com' };

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

describe('principalFromHttpApi', () => {
  const claims = { ...TOKEN_CLAIMS, 'cognito:groups': ['release admin', 'viewer:web'] };

  test("the token's own claims, not the authorizer's flattened copy, give the groups", () => {
    const { entries, log } = recorder();
    const principal = principalFromHttpApi(`Bearer ${jwt(claims)}`, flattened(claims), log);
    expect(flattened(claims)['cognito:groups']).toBe('[release admin viewer:web]');
    expect(principal).toEqual({ subject: 'u-1', name: 'ada@example.com', grants: [{ role: 'viewer', application: 'web' }] });
    expect(entries).toEqual([expect.objectContaining({ message: 'group refused', group: 'release admin' })]);
  });

  test('a bare token (the JWT authorizer accepts one without "Bearer") and numbers the authorizer passes as numbers', () => {
    expect(principalFromHttpApi(jwt(claims), { ...flattened(claims), exp: claims.exp }, () => undefined)?.subject).toBe('u-1');
  });

  test('no authorizer claims: no principal, nothing logged (the public route)', () => {
    const { entries, log } = recorder();
    expect(principalFromHttpApi(`Bearer ${jwt(claims)}`, undefined, log)).toBeUndefined();
    expect(entries).toEqual([]);
  });

  test.each<[string, string | undefined]>([
    ['missing', undefined],
    ['empty', ''],
    ['not a JWT', 'Bearer abc'],
    ['another scheme', `Basic ${jwt(claims)}`],
    ['two tokens joined as API Gateway joins repeated headers', `Bearer ${jwt(claims)},Bearer ${jwt(claims)}`],
    ['a payload that is not JSON', 'Bearer eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln'],
    ['a payload that is a JSON array', `Bearer ${encodePart({ alg: 'RS256' })}.${encodePart([claims])}.c2ln`],
  ])('an Authorization header that is %s: no principal', (_label, header) => {
    const { entries, log } = recorder();
    expect(principalFromHttpApi(header, flattened(claims), log)).toBeUndefined();
    expect(entries).toEqual([{ message: 'request refused', reason: 'the Authorization header holds no readable JWT' }]);
  });

  test.each<[string, Record<string, unknown>]>([
    ['another subject', { sub: 'root' }],
    ['another issuer', { iss: 'https://evil.example' }],
    ['another expiry', { exp: TOKEN_CLAIMS.exp + 1 }],
    ['another issue time', { iat: TOKEN_CLAIMS.iat - 1 }],
    ['a jti the authorizer did not see', { jti: 'abc' }],
    ['no exp', { exp: undefined }],
    ['no subject', { sub: undefined }],
  ])('a header token with %s than the authorizer verified: no principal', (_label, change) => {
    const { entries, log } = recorder();
    const header = { ...claims, ...change, 'cognito:groups': ['admin'] };
    for (const [name, value] of Object.entries(change)) if (value === undefined) delete (header as Record<string, unknown>)[name];
    expect(principalFromHttpApi(`Bearer ${jwt(header)}`, flattened(claims), log)).toBeUndefined();
    expect(String(entries[0]?.reason)).toMatch(/is not the one the authorizer verified \(claim (sub|iss|exp|iat|jti)\)/);
  });

  test('a jti on both sides must be the same', () => {
    const withJti = { ...claims, jti: 'j-1' };
    expect(principalFromHttpApi(`Bearer ${jwt(withJti)}`, flattened(withJti), () => undefined)?.subject).toBe('u-1');
    expect(principalFromHttpApi(`Bearer ${jwt({ ...withJti, jti: 'j-2' })}`, flattened(withJti), () => undefined)).toBeUndefined();
  });
});
