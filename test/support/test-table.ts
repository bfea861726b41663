import { randomBytes } from 'crypto';
import { createLocalTable, localClientConfig } from '../../src/local/dynamodb-local';
import { Clock, Store } from '../../src/runtime/core';
import { createDynamoStore } from '../../src/runtime/store/dynamo-store';
import { TableContext, tableContext } from '../../src/runtime/store/table-context';

export function dynamoEndpoint(): string {
  const endpoint = process.env.TRELLIS_TEST_DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('DynamoDB Local is not running: jest globalSetup sets TRELLIS_TEST_DYNAMODB_ENDPOINT');
  return endpoint;
}

/** A fresh table in the shared DynamoDB Local, so test files never see each other's data. */
export async function freshTable(prefix = 'test'): Promise<TableContext> {
  const tableName = `${prefix}-${randomBytes(6).toString('hex')}`;
  const config = localClientConfig(dynamoEndpoint());
  await createLocalTable(config, tableName);
  return tableContext(tableName, config);
}

export async function freshStore(clock?: Clock): Promise<{ store: Store; ctx: TableContext }> {
  const ctx = await freshTable();
  return { store: createDynamoStore(ctx, clock), ctx };
}
