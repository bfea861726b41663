import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ManualClock } from './fixtures';
import { keys } from '../../src/contract/table-schema';
import { Clock, Store } from '../../src/runtime/core';
import { ApiTokenRecord, newApiToken } from '../../src/runtime/core/api-tokens';
import { TableContext } from '../../src/runtime/store/table-context';
import { memoryStore } from '../support/memory-table';
import { freshStore } from '../support/test-table';

function record(overrides: Partial<ApiTokenRecord> = {}): ApiTokenRecord {
  const { id, secretHash } = newApiToken();
  return {
    id,
    name: 'github-actions',
    role: 'deployer',
    application: 'web',
    createdBy: 'ada',
    createdAt: '2026-03-01T12:00:00.000Z',
    expiresAt: '2026-05-30T12:00:00.000Z',
    secretHash,
    ...overrides,
  };
}

describe.each([
  ['DynamoDB Local', freshStore],
  ['the memory table', memoryStore],
] as Array<[string, (clock: Clock) => Promise<{ store: Store; ctx: TableContext }>]>)('DynamoApiTokenStore on %s', (_, makeStore) => {
  let store: Store;
  let ctx: TableContext;

  beforeEach(async () => {
    ({ store, ctx } = await makeStore(new ManualClock()));
  });

  test('a token is kept once under its id and read back whole', async () => {
    const token = record();
    expect(await store.apiTokens.create(token)).toBe(true);
    expect(await store.apiTokens.create({ ...token, name: 'other' })).toBe(false);
    expect(await store.apiTokens.get(token.id)).toEqual(token);
    expect(await store.apiTokens.get('nosuchtoken0')).toBeUndefined();
  });

  test('the item has a TTL a week after the expiry and no secret', async () => {
    const token = record();
    await store.apiTokens.create(token);
    const { Item } = await ctx.doc.send(new GetCommand({ TableName: ctx.tableName, Key: keys.apiToken(token.id) }));
    expect(Item?.expiresAt).toBe(Date.parse(token.expiresAt) / 1000 + 7 * 24 * 3600);
    expect(Object.keys(Item!).sort()).toEqual(['PK', 'SK', 'application', 'createdAt', 'createdBy', 'entity', 'expiresAt', 'id', 'name', 'role', 'secretHash', 'validUntil'].sort());
  });

  test('list gives every token, oldest first', async () => {
    const later = record({ createdAt: '2026-03-02T00:00:00.000Z', application: '*' });
    const earlier = record({ createdAt: '2026-03-01T00:00:00.000Z' });
    await store.apiTokens.create(later);
    await store.apiTokens.create(earlier);
    expect(await store.apiTokens.list()).toEqual([earlier, later]);
  });

  test('revoke deletes the token and answers what it was, once', async () => {
    const token = record();
    await store.apiTokens.create(token);
    expect(await store.apiTokens.revoke(token.id)).toEqual(token);
    expect(await store.apiTokens.get(token.id)).toBeUndefined();
    expect(await store.apiTokens.revoke(token.id)).toBeUndefined();
    expect(await store.apiTokens.list()).toEqual([]);
  });

  test('concurrent revokes: exactly one answers the token', async () => {
    const token = record();
    await store.apiTokens.create(token);
    const results = await Promise.all(Array.from({ length: 6 }, () => store.apiTokens.revoke(token.id)));
    expect(results.filter(result => result !== undefined)).toEqual([token]);
  });

  test('touch records a use at most once a minute, and never brings back a revoked token', async () => {
    const token = record();
    await store.apiTokens.create(token);
    await store.apiTokens.touch(token.id, new Date('2026-03-01T12:00:00.000Z'));
    expect((await store.apiTokens.get(token.id))?.lastUsedAt).toBe('2026-03-01T12:00:00.000Z');
    await store.apiTokens.touch(token.id, new Date('2026-03-01T12:00:59.999Z'));
    expect((await store.apiTokens.get(token.id))?.lastUsedAt).toBe('2026-03-01T12:00:00.000Z');
    await store.apiTokens.touch(token.id, new Date('2026-03-01T12:01:00.000Z'));
    expect((await store.apiTokens.get(token.id))?.lastUsedAt).toBe('2026-03-01T12:01:00.000Z');

    await store.apiTokens.revoke(token.id);
    await store.apiTokens.touch(token.id, new Date('2026-03-01T13:00:00.000Z'));
    expect(await store.apiTokens.get(token.id)).toBeUndefined();
  });
});
