import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ManualClock } from './fixtures';
import { keys } from '../../src/contract/table-schema';
import { Clock, Store } from '../../src/runtime/core';
import { AuditEntryView } from '../../src/runtime/core/api-types';
import { TableContext } from '../../src/runtime/store/table-context';
import { memoryStore } from '../support/memory-table';
import { freshStore } from '../support/test-table';

let n = 0;
function entry(overrides: Partial<AuditEntryView> = {}): AuditEntryView {
  n += 1;
  return {
    id: `e${String(n).padStart(4, '0')}`,
    at: new Date(Date.parse('2026-03-01T12:00:00.000Z') + n * 1000).toISOString(),
    actor: 'ada',
    subject: 'sub-ada',
    action: 'deploy',
    application: 'web',
    environment: 'dev',
    result: { status: 202, deploymentId: 'dep-1' },
    ...overrides,
  };
}

describe.each([
  ['DynamoDB Local', freshStore],
  ['the memory table', memoryStore],
] as Array<[string, (clock: Clock) => Promise<{ store: Store; ctx: TableContext }>]>)('DynamoAuditStore on %s', (_, makeStore) => {
  let store: Store;
  let ctx: TableContext;

  beforeEach(async () => {
    ({ store, ctx } = await makeStore(new ManualClock()));
  });

  test('an entry is kept whole in its application\'s partition with the TTL given, and never overwritten', async () => {
    const first = entry({ apiToken: 'abcdefghijkl', actor: 'token ci', details: ['branch'], target: 'dep-2' });
    await store.audit.record(first, 1_900_000_000);
    const { Item } = await ctx.doc.send(new GetCommand({ TableName: ctx.tableName, Key: keys.auditEntry('web', first.at, first.id) }));
    expect(Item).toMatchObject({ PK: 'AUDIT#web', SK: `${first.at}#${first.id}`, expiresAt: 1_900_000_000, entity: 'audit' });
    await expect(store.audit.record({ ...first, actor: 'mallory' }, 1)).rejects.toThrow();
    expect((await store.audit.list('web')).items).toEqual([first]);
    expect((await store.audit.list('api')).items).toEqual([]);
  });

  test('newest first, a page at a time, every entry once', async () => {
    const written = Array.from({ length: 7 }, () => entry());
    for (const e of written) await store.audit.record(e, 2_000_000_000);
    const seen: AuditEntryView[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.audit.list('web', { limit: 3, cursor });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items);
      cursor = page.cursor;
      pages += 1;
    } while (cursor);
    expect(seen).toEqual([...written].reverse());
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  test('filters by action, actor and environment keep pages full', async () => {
    const wanted: AuditEntryView[] = [];
    for (let i = 0; i < 12; i++) {
      const e = i % 3 === 0 ? entry({ action: 'settings', environment: 'prod', actor: 'token ci' }) : entry();
      if (i % 3 === 0) wanted.push(e);
      await store.audit.record(e, 2_000_000_000);
    }
    const first = await store.audit.list('web', { action: 'settings', limit: 2 });
    expect(first.items).toEqual([wanted[3], wanted[2]]);
    const rest = await store.audit.list('web', { action: 'settings', limit: 2, cursor: first.cursor });
    expect(rest.items).toEqual([wanted[1], wanted[0]]);
    expect((await store.audit.list('web', { environment: 'prod', actor: 'token ci' })).items).toEqual([...wanted].reverse());
    expect((await store.audit.list('web', { environment: 'prod', actor: 'ada' })).items).toEqual([]);
    expect((await store.audit.list('web', { action: 'deploy' })).items).toHaveLength(8);
  });

  test('a cursor from another application\'s trail, or a forged one, is refused naming the cursor', async () => {
    for (let i = 0; i < 3; i++) await store.audit.record(entry({ application: 'api' }), 2_000_000_000);
    const { cursor } = await store.audit.list('api', { limit: 1 });
    expect(cursor).toBeDefined();
    await expect(store.audit.list('web', { cursor })).rejects.toThrow(/cursor/);
    await expect(store.audit.list('web', { cursor: 'bm9wZQ' })).rejects.toThrow(/cursor/);
  });
});
