import { FAKE_ROLE_CREDENTIALS } from './fake-credentials';
import { AssumeRoleCredentialSource } from '../../src/builder/credentials';
import { runBuild } from '../../src/builder/run-build';
import { localClientConfig } from '../../src/local/dynamodb-local';
import { NotFoundError, SecretSource, systemClock } from '../../src/runtime/core';
import { createDynamoStore } from '../../src/runtime/store/dynamo-store';
import { tableContext } from '../../src/runtime/store/table-context';

/**
 * The builder as the container runs it, with two fakes: secrets come from a JSON env var
 * and AssumeRole returns fixed credentials. The store is real (DynamoDB Local).
 * Bundled by harness.ts and run as its own process in an empty workspace.
 */

const values: Record<string, string> = JSON.parse(process.env.TRELLIS_TEST_SECRETS ?? '{}');
const secrets: SecretSource = {
  get: async name => {
    if (Object.prototype.hasOwnProperty.call(values, name)) return values[name];
    throw new NotFoundError(`secret ${name} does not exist`);
  },
};

const credentials = new AssumeRoleCredentialSource(async () => FAKE_ROLE_CREDENTIALS, 'trellis-test');

const endpoint = process.env.TRELLIS_TEST_DYNAMODB_ENDPOINT!;
const store = createDynamoStore(tableContext(process.env.TRELLIS_TABLE_NAME!, localClientConfig(endpoint)));

runBuild(process.env, {
  store,
  secrets,
  credentials,
  workspace: process.cwd(),
  output: { write: line => process.stdout.write(`${line}\n`) },
  clock: systemClock,
}).then(code => process.exit(code), error => {
  process.stdout.write(`entry crashed: ${String(error)}\n`);
  process.exit(99);
});
