import type { DynamoDbLocal } from '../../src/local/dynamodb-local';

export default async function teardown(): Promise<void> {
  await (globalThis as { trellisDynamoDbLocal?: DynamoDbLocal }).trellisDynamoDbLocal?.stop();
}
