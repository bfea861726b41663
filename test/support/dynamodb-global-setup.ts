import { startDynamoDbLocal } from '../../src/local/dynamodb-local';

/**
 * One DynamoDB Local for the whole jest run (on 127.0.0.1 only, like local mode's); each test
 * file creates its own table. One database for every access key, as the test clients and the
 * builder programs the tests start name none in particular.
 */
export default async function setup(): Promise<void> {
  const local = await startDynamoDbLocal({ sharedDb: true });
  process.env.TRELLIS_TEST_DYNAMODB_ENDPOINT = local.endpoint;
  (globalThis as { trellisDynamoDbLocal?: unknown }).trellisDynamoDbLocal = local;
}
