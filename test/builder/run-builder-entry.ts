import { appendFileSync } from 'fs';
import { FAKE_ROLE_CREDENTIALS } from './fake-credentials';
import { openBuildLog } from '../../src/builder/build-log';
import { AssumeRoleCredentialSource } from '../../src/builder/credentials';
import { FolderCacheStorage } from '../../src/builder/folder-cache-storage';
import { repositoryTokenFunction } from '../../src/builder/repository-token';
import { runBuild } from '../../src/builder/run-build';
import { localClientConfig } from '../../src/local/dynamodb-local';
import { LOCAL_BUILD_SETTINGS } from '../../src/local/local-build-settings';
import { NotFoundError, SecretSource, systemClock } from '../../src/runtime/core';
import { createDynamoStore } from '../../src/runtime/store/dynamo-store';
import { tableContext } from '../../src/runtime/store/table-context';

/**
 * The builder as the container runs it, with three fakes (and the dependency cache and deploy
 * artifacts in the folders TRELLIS_LOCAL_CACHE_DIR and TRELLIS_LOCAL_ARTIFACT_DIR name, as local mode keeps them): secrets come from a JSON env var,
 * AssumeRole returns fixed credentials, and the live log path appends each batch to the file
 * named as the ingest function (failing every send when TRELLIS_TEST_LIVE_FAIL is set).
 * The store is real (DynamoDB Local). Bundled by harness.ts and run as its own process in
 * an empty workspace.
 */

const values: Record<string, string> = JSON.parse(process.env.TRELLIS_TEST_SECRETS ?? '{}');
const secrets: SecretSource = {
  get: async name => {
    if (Object.prototype.hasOwnProperty.call(values, name)) return values[name];
    throw new NotFoundError(`secret ${name} does not exist`);
  },
};

const credentials = new AssumeRoleCredentialSource(async () => FAKE_ROLE_CREDENTIALS, { name: 'trellis-test', installation: 'test' });

const endpoint = process.env.TRELLIS_TEST_DYNAMODB_ENDPOINT!;
const store = createDynamoStore(tableContext(process.env.TRELLIS_TABLE_NAME!, localClientConfig(endpoint)));

const log = openBuildLog(process.env, {
  sink: line => process.stdout.write(`${line}\n`),
  clock: systemClock,
  sendTo: file => async batch => {
    await new Promise(resolve => setTimeout(resolve, 5));
    if (process.env.TRELLIS_TEST_LIVE_FAIL) throw new Error('the test ingest function is down');
    appendFileSync(file, `${JSON.stringify(batch)}\n`);
  },
});

runBuild(process.env, {
  store,
  secrets,
  credentials,
  workspace: process.cwd(),
  output: log.output,
  clock: systemClock,
  cache: process.env[LOCAL_BUILD_SETTINGS.cacheDir] ? new FolderCacheStorage(process.env[LOCAL_BUILD_SETTINGS.cacheDir]!) : undefined,
  artifacts: process.env[LOCAL_BUILD_SETTINGS.artifactDir]
    ? new FolderCacheStorage(process.env[LOCAL_BUILD_SETTINGS.artifactDir]!, Number.POSITIVE_INFINITY) : undefined,
  // As the image's builder (main.ts) sets it.
  appUserRequired: process.env.TRELLIS_TEST_APP_USER_REQUIRED === '1',
  nodeCache: process.env.TRELLIS_TEST_NODE_CACHE,
  packageManagers: process.env.TRELLIS_TEST_PACKAGE_MANAGERS,
  // As main.ts wires it, with Lambda Invoke as a POST to the URL the test gives as the function's name.
  repositoryTokens: repositoryTokenFunction(process.env, {
    send: async command => {
      const answer = await fetch(command.input.FunctionName!, { method: 'POST', body: Buffer.from(command.input.Payload as Uint8Array) });
      return { $metadata: {}, StatusCode: 200, Payload: new Uint8Array(await answer.arrayBuffer()) } as never;
    },
  }),
}).then(async code => {
  await log.finish();
  process.exit(code);
}, error => {
  process.stdout.write(`entry crashed: ${String(error)}\n`);
  process.exit(99);
});
