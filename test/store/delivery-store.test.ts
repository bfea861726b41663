import { ManualClock } from './fixtures';
import { Store } from '../../src/runtime/core';
import { freshStore } from '../support/test-table';

describe('DynamoDeliveryStore', () => {
  let store: Store;
  let clock: ManualClock;

  beforeEach(async () => {
    clock = new ManualClock();
    ({ store } = await freshStore(clock));
  });

  test('a delivery id is first once, then a redelivery', async () => {
    const keep = clock.epochSeconds() + 3600;
    expect(await store.deliveries.recordFirst('d-1', keep)).toBe(true);
    expect(await store.deliveries.recordFirst('d-1', keep)).toBe(false);
    expect(await store.deliveries.recordFirst('d-1', keep + 60)).toBe(false);
    // Ids are independent of each other.
    expect(await store.deliveries.recordFirst('d-2', keep)).toBe(true);
  });

  test('concurrent deliveries of one id: exactly one is first', async () => {
    const keep = clock.epochSeconds() + 3600;
    const results = await Promise.all(Array.from({ length: 8 }, () => store.deliveries.recordFirst('same', keep)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  test('a record already expired by the clock counts as absent', async () => {
    const past = clock.epochSeconds() - 1;
    expect(await store.deliveries.recordFirst('old', past)).toBe(true);
    // TTL has not deleted it (DynamoDB deletes lazily; Local never does), yet it is not a duplicate.
    expect(await store.deliveries.recordFirst('old', past)).toBe(true);
  });

  test('a record counts until its expiry and is absent once the clock passes it', async () => {
    const expiresAt = clock.epochSeconds() + 60;
    expect(await store.deliveries.recordFirst('d', expiresAt)).toBe(true);

    clock.advanceSeconds(60); // now == expiresAt: still kept
    expect(await store.deliveries.recordFirst('d', expiresAt)).toBe(false);

    clock.advanceSeconds(1);
    const renewed = clock.epochSeconds() + 60;
    expect(await store.deliveries.recordFirst('d', renewed)).toBe(true);
    // The renewal replaced the expired record: the id is a duplicate again.
    expect(await store.deliveries.recordFirst('d', renewed)).toBe(false);
  });
});
