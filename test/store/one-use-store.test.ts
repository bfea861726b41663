import { ManualClock } from './fixtures';
import { Clock, Store } from '../../src/runtime/core';
import { memoryStore } from '../support/memory-table';
import { freshStore } from '../support/test-table';

describe.each([
  ['DynamoDB Local', freshStore],
  ['the memory table', memoryStore],
] as Array<[string, (clock: Clock) => Promise<{ store: Store }>]>)('DynamoOneUseStore on %s', (_, makeStore) => {
  let store: Store;
  let clock: ManualClock;

  beforeEach(async () => {
    clock = new ManualClock();
    ({ store } = await makeStore(clock));
  });

  test('a value is taken once; a second take finds nothing', async () => {
    expect(await store.oneUse.put('manifest', 's1', { subject: 'ada' }, clock.epochSeconds() + 600)).toBe(true);
    expect(await store.oneUse.take('manifest', 's1')).toEqual({ subject: 'ada' });
    expect(await store.oneUse.take('manifest', 's1')).toBeUndefined();
  });

  test('an id in use is not put again; purposes do not share ids', async () => {
    const keep = clock.epochSeconds() + 600;
    expect(await store.oneUse.put('manifest', 's1', { subject: 'ada' }, keep)).toBe(true);
    expect(await store.oneUse.put('manifest', 's1', { subject: 'eve' }, keep)).toBe(false);
    expect(await store.oneUse.take('sign-in', 's1')).toBeUndefined();
    expect(await store.oneUse.take('manifest', 's1')).toEqual({ subject: 'ada' });
  });

  test('concurrent takes of one value: exactly one gets it', async () => {
    await store.oneUse.put('manifest', 'race', { subject: 'ada' }, clock.epochSeconds() + 600);
    const results = await Promise.all(Array.from({ length: 8 }, () => store.oneUse.take('manifest', 'race')));
    expect(results.filter(value => value !== undefined)).toEqual([{ subject: 'ada' }]);
  });

  test('a value is good until its expiry and gone once the clock passes it', async () => {
    const expiresAt = clock.epochSeconds() + 600;
    await store.oneUse.put('manifest', 'late', { subject: 'ada' }, expiresAt);
    await store.oneUse.put('manifest', 'in-time', { subject: 'ada' }, expiresAt);
    clock.advanceSeconds(600);
    expect(await store.oneUse.take('manifest', 'in-time')).toEqual({ subject: 'ada' });
    clock.advanceSeconds(1);
    expect(await store.oneUse.take('manifest', 'late')).toBeUndefined();
    // TTL deletes lazily: an expired item does not keep its id from being used again.
    expect(await store.oneUse.put('manifest', 'late', { subject: 'eve' }, clock.epochSeconds() + 600)).toBe(true);
  });
});
