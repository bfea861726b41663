import { startDynamoDbLocal } from '../../src/local/dynamodb-local';

/** One DynamoDB Local for the whole jest run; each test file creates its own table. */
export default async function setup(): Promise<void> {
  const local = await startDynamoDbLocal();
  process.env.TRELLIS_TEST_DYNAMODB_ENDPOINT = local.endpoint;
  (globalThis as { trellisDynamoDbLocal?: unknown }).trellisDynamoDbLocal = local;
}
