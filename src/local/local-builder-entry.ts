import { localClientConfig } from './dynamodb-local';
import { FileSecretSource } from './file-secret-source';
import { LOCAL_BUILD_SETTINGS } from './local-build-settings';
import { openBuildLog, runToExit } from '../builder/build-log';
import { CredentialSource } from '../builder/credentials';
import { FolderCacheStorage } from '../builder/folder-cache-storage';
import { runBuild } from '../builder/run-build';
import { BUILD_SETTINGS, BUILDER_EXIT } from '../runtime/core/build-contract';
import { systemClock } from '../runtime/core/ports';
import { createDynamoStore } from '../runtime/store/dynamo-store';
import { tableContext } from '../runtime/store/table-context';

/**
 * The builder's entry in local mode (bundled to assets/local/builder.js, started by
 * LocalTaskRunner as a child process): src/builder/main.ts with local parts. The table is in
 * DynamoDB Local, secrets come from the data directory's file, deploy commands run with the
 * user's own AWS credentials (no STS), and there is no live path of its own: the runner reads
 * the numbered records on stdout and ingests them.
 */

const log = openBuildLog({ ...process.env, [BUILD_SETTINGS.logIngestFunction]: undefined }, {
  sink: line => process.stdout.write(`${line}\n`),
  clock: systemClock,
  sendTo: () => async () => { throw new Error('local builds have no live sender'); },
});
const output = log.output;

/** No deploy role is assumed locally: build and deploy see the user's own AWS variables. */
const userCredentials: CredentialSource = { credentialsFor: async () => ({}) };

async function main(): Promise<number> {
  const tableName = process.env[BUILD_SETTINGS.tableName];
  const endpoint = process.env[LOCAL_BUILD_SETTINGS.dynamodbEndpoint];
  const secretsFile = process.env[LOCAL_BUILD_SETTINGS.secretsFile];
  const cacheDir = process.env[LOCAL_BUILD_SETTINGS.cacheDir];
  const artifactDir = process.env[LOCAL_BUILD_SETTINGS.artifactDir];
  const missing = [
    !tableName && BUILD_SETTINGS.tableName,
    !endpoint && LOCAL_BUILD_SETTINGS.dynamodbEndpoint,
    !secretsFile && LOCAL_BUILD_SETTINGS.secretsFile,
  ].filter(Boolean);
  if (missing.length > 0) {
    output.write(`error: ${missing.join(', ')} not set by the local runner`, 'stderr');
    return BUILDER_EXIT.invalid;
  }
  // The runner stops a build with SIGTERM (cancelled, or the local server stops): stop the running command too.
  const stop = new AbortController();
  process.once('SIGTERM', () => stop.abort());
  return runBuild(process.env, {
    store: createDynamoStore(tableContext(tableName!, localClientConfig(endpoint!))),
    secrets: new FileSecretSource(secretsFile!),
    credentials: userCredentials,
    workspace: process.cwd(),
    output,
    clock: systemClock,
    signal: stop.signal,
    cache: cacheDir ? new FolderCacheStorage(cacheDir) : undefined,
    // Artifacts are what rollbacks redeploy: nothing is evicted for size (the user deletes the folder).
    artifacts: artifactDir ? new FolderCacheStorage(artifactDir, Number.POSITIVE_INFINITY) : undefined,
  });
}

runToExit(log, main);
