import { startDynamoDbLocal } from '../../src/local/dynamodb-local';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { newRunId } = require('./run-processes') as { newRunId(): string };

/**
 * One DynamoDB Local for the whole jest run (on 127.0.0.1 only, like local mode's); each test
 * file creates its own table. One database for every access key, as the test clients and the
 * builder programs the tests start name none in particular.
 *
 * First, the run's marker (TRELLIS_JEST_RUN) in the environment every test and every process
 * they spawn inherit: the global teardown finds by it what the tests left running.
 */
export default async function setup(): Promise<void> {
  process.env.TRELLIS_JEST_RUN = newRunId();
  process.env.TRELLIS_JEST_STARTED = String(Date.now());
  const local = await startDynamoDbLocal({ sharedDb: true });
  process.env.TRELLIS_TEST_DYNAMODB_ENDPOINT = local.endpoint;
  (globalThis as { trellisDynamoDbLocal?: unknown }).trellisDynamoDbLocal = local;
}
