import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { depId } from './fixtures';
import { keys } from '../../src/contract/table-schema';
import { Principal, Store } from '../../src/runtime/core';
import { TableContext } from '../../src/runtime/store/table-context';
import { freshStore } from '../support/test-table';

const EXPIRES = 1_900_000_000;
const alice: Principal = { subject: 'alice', name: 'Alice', grants: [{ application: 'shop', role: 'viewer' }] };
const bob: Principal = { subject: 'bob', name: 'Bob', grants: [{ application: '*', role: 'admin' }] };

describe('DynamoConnectionStore', () => {
  let store: Store;
  let ctx: TableContext;
  const dep = depId(1);
  const otherDep = depId(2);

  beforeEach(async () => {
    ({ store, ctx } = await freshStore());
    await store.connections.put({ connectionId: 'conn-a', principal: alice }, EXPIRES);
    await store.connections.put({ connectionId: 'conn-b', principal: bob }, EXPIRES);
  });

  /** The stored connection item, expiry included. */
  async function connectionItem(connectionId: string) {
    return (await ctx.doc.send(new GetCommand({ TableName: ctx.tableName, Key: keys.connection(connectionId), ConsistentRead: true }))).Item;
  }

  async function subscribers(id = dep): Promise<string[]> {
    return (await store.connections.subscribers(id)).sort();
  }

  test('put stores the connection with its principal and expiry', async () => {
    expect(await connectionItem('conn-a')).toMatchObject({ connectionId: 'conn-a', principal: alice, expiresAt: EXPIRES });
    const renamed = { ...alice, name: 'Alice B.' };
    await store.connections.put({ connectionId: 'conn-a', principal: renamed }, EXPIRES + 1);
    expect(await connectionItem('conn-a')).toMatchObject({ principal: renamed, expiresAt: EXPIRES + 1 });
  });

  test('get returns the connection with its principal and grants, or undefined', async () => {
    expect(await store.connections.get('conn-b')).toEqual({ connectionId: 'conn-b', principal: bob });
    expect(await store.connections.get('never-connected')).toBeUndefined();
    await store.connections.remove('conn-b');
    expect(await store.connections.get('conn-b')).toBeUndefined();
  });

  test('a deployment without subscriptions has no subscribers', async () => {
    expect(await store.connections.subscribers(dep)).toEqual([]);
  });

  test('two connections subscribed to one deployment are both subscribers', async () => {
    await store.connections.subscribe('conn-a', dep, EXPIRES);
    await store.connections.subscribe('conn-b', dep, EXPIRES);
    await store.connections.subscribe('conn-b', otherDep, EXPIRES);
    expect(await subscribers()).toEqual(['conn-a', 'conn-b']);
    expect(await subscribers(otherDep)).toEqual(['conn-b']);
  });

  test('subscribing twice lists the connection once', async () => {
    await store.connections.subscribe('conn-a', dep, EXPIRES);
    await store.connections.subscribe('conn-a', dep, EXPIRES + 60);
    expect(await subscribers()).toEqual(['conn-a']);
  });

  test('unsubscribe removes only that connection from only that deployment', async () => {
    await store.connections.subscribe('conn-a', dep, EXPIRES);
    await store.connections.subscribe('conn-b', dep, EXPIRES);
    await store.connections.subscribe('conn-a', otherDep, EXPIRES);

    await store.connections.unsubscribe('conn-a', dep);
    expect(await subscribers()).toEqual(['conn-b']);
    expect(await subscribers(otherDep)).toEqual(['conn-a']);
    // Unsubscribing again is harmless.
    await store.connections.unsubscribe('conn-a', dep);
    expect(await subscribers()).toEqual(['conn-b']);
  });

  test('remove deletes the connection and every subscription it holds, and nobody else\'s', async () => {
    const many = Array.from({ length: 5 }, (_, i) => depId(10 + i));
    for (const id of [dep, otherDep, ...many]) await store.connections.subscribe('conn-a', id, EXPIRES);
    await store.connections.subscribe('conn-b', dep, EXPIRES);

    await store.connections.remove('conn-a');

    expect(await connectionItem('conn-a')).toBeUndefined();
    expect(await connectionItem('conn-b')).toBeDefined();
    expect(await subscribers()).toEqual(['conn-b']);
    expect(await subscribers(otherDep)).toEqual([]);
    for (const id of many) expect(await store.connections.subscribers(id)).toEqual([]);
    // conn-b is intact and still removable on its own.
    await store.connections.remove('conn-b');
    expect(await connectionItem('conn-b')).toBeUndefined();
    expect(await subscribers()).toEqual([]);
  });

  test('remove of an unknown or already removed connection is harmless', async () => {
    await store.connections.subscribe('conn-b', dep, EXPIRES);
    await store.connections.remove('never-connected');
    await store.connections.remove('conn-a');
    await store.connections.remove('conn-a');
    expect(await subscribers()).toEqual(['conn-b']);
  });
});
