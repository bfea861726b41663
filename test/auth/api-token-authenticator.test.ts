import { ApiTokenAuthenticator } from '../../src/runtime/auth/api-token-authenticator';
import { JwtAuthenticator } from '../../src/runtime/auth/jwt-authenticator';
import { Store } from '../../src/runtime/core';
import { ApiTokenRecord, newApiToken, parseApiToken } from '../../src/runtime/core/api-tokens';
import { UnauthorizedError } from '../../src/runtime/core/errors';
import { ManualClock } from '../store/fixtures';
import { TestIssuer, createTestIssuer } from '../support/jwt';
import { freshStore } from '../support/test-table';

const REFUSED = 'the API token is unknown, revoked or expired';

describe('ApiTokenAuthenticator', () => {
  let store: Store;
  let clock: ManualClock;
  let idp: TestIssuer;
  let logs: Record<string, unknown>[];
  let auth: ApiTokenAuthenticator;

  beforeEach(async () => {
    clock = new ManualClock();
    ({ store } = await freshStore(clock));
    idp = createTestIssuer({ clock });
    logs = [];
    const jwt = new JwtAuthenticator({ issuer: idp.issuer, audiences: [idp.audience] }, async () => ({ keys: [...idp.jwks.keys] }), clock);
    auth = new ApiTokenAuthenticator(store.apiTokens, jwt, clock, entry => logs.push(entry));
  });

  /** A token stored as the API stores one, valid for `days` from the clock's now. */
  async function issued(overrides: Partial<ApiTokenRecord> = {}, days = 30): Promise<{ token: string; record: ApiTokenRecord }> {
    const made = newApiToken();
    const record: ApiTokenRecord = {
      id: made.id,
      name: 'github-actions',
      role: 'deployer',
      application: 'web',
      createdBy: 'ada',
      createdAt: clock.now().toISOString(),
      expiresAt: new Date(clock.at + days * 86_400_000).toISOString(),
      secretHash: made.secretHash,
      ...overrides,
    };
    await store.apiTokens.create(record);
    return { token: made.token, record };
  }

  async function refusal(credential: string | undefined): Promise<Error> {
    const error = await auth.authenticate(credential).then(() => undefined, (e: Error) => e);
    expect(error).toBeInstanceOf(UnauthorizedError);
    return error!;
  }

  test('a valid token stands for its role on its application, and its use is recorded', async () => {
    const { token, record } = await issued();
    expect(await auth.authenticate(token)).toEqual({
      subject: `token:${record.id}`, name: 'token github-actions', grants: [{ application: 'web', role: 'deployer' }], apiToken: record.id,
    });
    expect((await store.apiTokens.get(record.id))?.lastUsedAt).toBe(clock.now().toISOString());
  });

  test('uses are recorded at most once a minute', async () => {
    const { token, record } = await issued();
    const first = clock.now().toISOString();
    await auth.authenticate(token);
    clock.advanceSeconds(30);
    await auth.authenticate(token);
    expect((await store.apiTokens.get(record.id))?.lastUsedAt).toBe(first);
    clock.advanceSeconds(30);
    await auth.authenticate(token);
    expect((await store.apiTokens.get(record.id))?.lastUsedAt).toBe(clock.now().toISOString());
  });

  test('a wrong secret, an unknown id, a revoked token and an expired one get the same answer; the log says which, by id', async () => {
    const { token, record } = await issued();
    const { secret } = parseApiToken(token)!;
    const wrongSecret = token.replace(secret, secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A'));
    const unknown = newApiToken().token;
    const { token: revoked, record: revokedRecord } = await issued();
    await store.apiTokens.revoke(revokedRecord.id);
    const { token: expiring, record: expiringRecord } = await issued({}, 1);

    clock.advanceSeconds(86_400);
    const answers = [
      await refusal(wrongSecret), await refusal(unknown), await refusal(revoked), await refusal(expiring), await refusal('trellis_malformed'),
    ];
    expect(answers.map(error => error.message)).toEqual(Array(5).fill(REFUSED));
    expect(logs).toEqual([
      { message: 'api token refused', token: record.id, reason: 'wrong secret' },
      { message: 'api token refused', token: parseApiToken(unknown)!.id, reason: 'unknown or revoked' },
      { message: 'api token refused', token: revokedRecord.id, reason: 'unknown or revoked' },
      { message: 'api token refused', token: expiringRecord.id, reason: `expired at ${expiringRecord.expiresAt}` },
      { message: 'api token refused', reason: 'not of the form trellis_<id>_<secret>' },
    ]);
    // A refused token's use is not recorded.
    expect((await store.apiTokens.get(record.id))?.lastUsedAt).toBeUndefined();
  });

  test('a token is good until the moment it expires', async () => {
    const { token } = await issued({}, 1);
    clock.advanceSeconds(86_399);
    expect((await auth.authenticate(token)).apiToken).toBeDefined();
    clock.advanceSeconds(1);
    await refusal(token);
  });

  test('a principal it let in stays valid while its token is known and unexpired; a JWT principal stays valid', async () => {
    const { token, record } = await issued({}, 1);
    const principal = await auth.authenticate(token);
    expect(await auth.stillValid(principal)).toBe(true);
    clock.advanceSeconds(86_400);
    expect(await auth.stillValid(principal)).toBe(false);

    const { token: other, record: otherRecord } = await issued();
    const revoked = await auth.authenticate(other);
    await store.apiTokens.revoke(otherRecord.id);
    expect(await auth.stillValid(revoked)).toBe(false);
    expect(record.id).not.toBe(otherRecord.id);

    expect(await auth.stillValid(await auth.authenticate(idp.sign({ sub: 'u-1', name: 'Ada', groups: ['admin'] })))).toBe(true);
  });

  test('JWTs still go to the JWT authenticator; no credential is refused as before', async () => {
    expect(await auth.authenticate(idp.sign({ sub: 'u-1', name: 'Ada', groups: ['admin'] }))).toEqual({
      subject: 'u-1', name: 'Ada', grants: [{ application: '*', role: 'admin' }],
    });
    expect((await refusal(undefined)).message).toBe('a token is required');
    expect((await refusal('x.y.z')).message).toBe('the token is malformed');
  });

  test('no secret ever reaches the log or an error, whatever happens', async () => {
    const { token, record } = await issued();
    const { secret } = parseApiToken(token)!;
    await auth.authenticate(token);
    await refusal(token.replace(/.$/, c => (c === 'A' ? 'B' : 'A')));
    await store.apiTokens.revoke(record.id);
    const error = await refusal(token);
    const failing = new ApiTokenAuthenticator({ ...store.apiTokens, get: async () => { throw new Error('table unreachable'); } } as never, auth, clock, entry => logs.push(entry));
    const failure = await failing.authenticate(token).then(() => undefined, (e: Error) => e);
    expect(failure?.message).toBe('table unreachable');
    expect(JSON.stringify(logs)).not.toContain(secret);
    expect(error.message + failure!.message).not.toContain(secret);
    expect(logs.length).toBeGreaterThan(0);
  });

  test('a use that cannot be recorded still lets the caller in, and is logged', async () => {
    const { token, record } = await issued();
    const flaky = new ApiTokenAuthenticator({
      get: (id: string) => store.apiTokens.get(id),
      touch: async () => { throw new Error('throttled'); },
    } as never, auth, clock, entry => logs.push(entry));
    expect((await flaky.authenticate(token)).apiToken).toBe(record.id);
    expect(logs).toEqual([{ message: 'api token use not recorded', token: record.id, error: 'throttled' }]);
  });
});
