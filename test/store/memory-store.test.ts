/**
 * The store contract, on the in-memory store: every test of this folder (config, deployments,
 * the environment lock and the push order, logs, deliveries, connections), unchanged, with
 * `freshStore` answering from test/support/memory-table.ts instead of a table in DynamoDB Local.
 * Their own files run the same tests on DynamoDB Local: one contract, both stores pass it, so a
 * test may check the API or a handler on the memory store and know DynamoDB would answer the same.
 */
jest.mock('../support/test-table', () => ({
  ...jest.requireActual('../support/test-table'),
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  freshStore: (clock?: unknown) => require('../support/memory-table').memoryStore(clock),
}));

/* eslint-disable import/no-unassigned-import */
import './config-store.test';
import './connection-store.test';
import './delivery-store.test';
import './deployment-store.test';
import './environment-lock.test';
import './log-store.test';
import './push-order-lock.test';
