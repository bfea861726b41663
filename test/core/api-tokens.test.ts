import { hasRole } from '../../src/runtime/core/access';
import {
  apiTokenExpired, apiTokenIdProblem, apiTokenPrincipal, apiTokenView, isApiTokenForm, newApiToken, parseApiToken, tokenUseWorthRecording,
} from '../../src/runtime/core/api-tokens';
import { matchesDigest } from '../../src/runtime/core/secret-digest';

describe('API tokens', () => {
  test('a new token is trellis_<12 lowercase letters and digits>_<43 base64url characters>, and parses back', () => {
    const made = newApiToken();
    expect(made.token).toMatch(/^trellis_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    const parsed = parseApiToken(made.token);
    expect(parsed?.id).toBe(made.id);
    expect(made.token).toBe(`trellis_${made.id}_${parsed?.secret}`);
    expect(matchesDigest(parsed!.secret, made.secretHash)).toBe(true);
    // Only the digest is kept: it is not the secret, and the secret does not appear in it.
    expect(made.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(made.secretHash).not.toContain(parsed!.secret);
  });

  test('ids and secrets differ from token to token', () => {
    const tokens = Array.from({ length: 50 }, () => newApiToken());
    expect(new Set(tokens.map(token => token.id)).size).toBe(50);
    expect(new Set(tokens.map(token => parseApiToken(token.token)!.secret)).size).toBe(50);
  });

  test('a secret that differs in one character does not match', () => {
    const made = newApiToken();
    const { secret } = parseApiToken(made.token)!;
    const changed = secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');
    expect(matchesDigest(changed, made.secretHash)).toBe(false);
    expect(matchesDigest(secret, 'abcd')).toBe(false);
  });

  test.each([
    ['a JWT', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln'],
    ['an id too short', `trellis_abc_${'a'.repeat(43)}`],
    ['upper case in the id', `trellis_ABCDEFGHIJKL_${'a'.repeat(43)}`],
    ['a short secret', `trellis_abcdefghijkl_${'a'.repeat(42)}`],
    ['a character outside base64url', `trellis_abcdefghijkl_${'a'.repeat(42)}=`],
    ['trailing text', `trellis_abcdefghijkl_${'a'.repeat(43)} `],
  ])('%s does not parse as a token', (_, text) => {
    expect(parseApiToken(text)).toBeUndefined();
  });

  test('the form check sends only trellis_ credentials to the token store', () => {
    expect(isApiTokenForm('trellis_anything')).toBe(true);
    expect(isApiTokenForm('TRELLIS_anything')).toBe(true);
    expect(isApiTokenForm('eyJ.a.b')).toBe(false);
  });

  test('a token id is checked without echoing what was given', () => {
    expect(apiTokenIdProblem('abcdefghij12')).toBeUndefined();
    const whole = newApiToken().token;
    expect(apiTokenIdProblem(whole)).toMatch(/is not a token id/);
    expect(apiTokenIdProblem(whole)).not.toContain(whole.slice(21));
  });

  test('a token expires at its expiry, not a millisecond later', () => {
    const token = { expiresAt: '2026-03-01T12:00:00.000Z' };
    expect(apiTokenExpired(token, new Date('2026-03-01T11:59:59.999Z'))).toBe(false);
    expect(apiTokenExpired(token, new Date('2026-03-01T12:00:00.000Z'))).toBe(true);
  });

  test('the principal holds the token role on its application only, named for logs, marked as a token', () => {
    const principal = apiTokenPrincipal({ id: 'abcdefghij12', name: 'github-actions', role: 'deployer', application: 'web' });
    expect(principal).toEqual({ subject: 'token:abcdefghij12', name: 'token github-actions', grants: [{ application: 'web', role: 'deployer' }], apiToken: 'abcdefghij12' });
    expect(hasRole(principal, 'web', 'deployer')).toBe(true);
    expect(hasRole(principal, 'web', 'admin')).toBe(false);
    expect(hasRole(principal, 'api', 'viewer')).toBe(false);
    expect(hasRole(apiTokenPrincipal({ id: 'x', name: 'all', role: 'viewer', application: '*' }), 'api', 'viewer')).toBe(true);
  });

  test('the view leaves the digest out', () => {
    const view = apiTokenView({
      id: 'abcdefghij12', name: 'ci', role: 'viewer', application: '*', createdBy: 'ada', createdAt: 'a', expiresAt: 'b', secretHash: 'f'.repeat(64),
    });
    expect(view).not.toHaveProperty('secretHash');
    expect(view).toEqual({ id: 'abcdefghij12', name: 'ci', role: 'viewer', application: '*', createdBy: 'ada', createdAt: 'a', expiresAt: 'b' });
  });

  test('a use is worth recording when none was, or the last one is a minute old', () => {
    const now = new Date('2026-03-01T12:01:00.000Z');
    expect(tokenUseWorthRecording({}, now)).toBe(true);
    expect(tokenUseWorthRecording({ lastUsedAt: '2026-03-01T12:00:00.001Z' }, now)).toBe(false);
    expect(tokenUseWorthRecording({ lastUsedAt: '2026-03-01T12:00:00.000Z' }, now)).toBe(true);
  });
});
