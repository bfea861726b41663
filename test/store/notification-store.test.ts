import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ManualClock, notificationFailure as failure } from './fixtures';
import { keys } from '../../src/contract/table-schema';
import { Clock, Store } from '../../src/runtime/core';
import { TableContext } from '../../src/runtime/store/table-context';
import { memoryStore } from '../support/memory-table';
import { freshStore } from '../support/test-table';

describe.each([
  ['DynamoDB Local', freshStore],
  ['the memory table', memoryStore],
] as Array<[string, (clock: Clock) => Promise<{ store: Store; ctx: TableContext }>]>)('DynamoNotificationStore on %s', (_, makeStore) => {
  let store: Store;
  let ctx: TableContext;

  beforeEach(async () => {
    ({ store, ctx } = await makeStore(new ManualClock()));
  });

  test('sequence numbers count per environment from 1, and twenty producers at once never share one', async () => {
    expect(await store.notifications.nextSequence('shop', 'dev')).toBe(1);
    expect(await store.notifications.nextSequence('shop', 'prod')).toBe(1);
    const numbers = await Promise.all(Array.from({ length: 20 }, () => store.notifications.nextSequence('shop', 'dev')));
    expect([...numbers].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (__, i) => i + 2));
    expect(await store.notifications.nextSequence('web', 'dev')).toBe(1);
  });

  test('failures are kept with their TTL and listed newest first, per application', async () => {
    await store.notifications.recordFailure(failure(1), 1_900_000_000);
    await store.notifications.recordFailure(failure(2, { deploymentId: 'dep-2' }), 1_900_000_000);
    await store.notifications.recordFailure(failure(3, { application: 'web' }), 1_900_000_000);
    expect(await store.notifications.listFailures('shop')).toEqual([failure(2, { deploymentId: 'dep-2' }), failure(1)]);
    expect(await store.notifications.listFailures('shop', { limit: 1 })).toEqual([failure(2, { deploymentId: 'dep-2' })]);
    const first = failure(1);
    const { Item } = await ctx.doc.send(new GetCommand({ TableName: ctx.tableName, Key: keys.notificationFailure('shop', first.at, first.id, first.position) }));
    expect(Item?.expiresAt).toBe(1_900_000_000);
  });
});
