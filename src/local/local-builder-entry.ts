import { dirname, join } from 'path';
import { localClientConfig } from './dynamodb-local';
import { GivenSecrets, LOCAL_BUILD_SETTINGS, LocalBuildInput, parseLocalBuildInput } from './local-build-settings';
import { openBuildLog, runToExit } from '../builder/build-log';
import { CredentialSource } from '../builder/credentials';
import { FolderCacheStorage } from '../builder/folder-cache-storage';
import { givenRepositoryToken } from '../builder/repository-token';
import { runBuild } from '../builder/run-build';
import { BUILD_SETTINGS } from '../contract/build-environment';
import { BUILDER_EXIT } from '../runtime/core/builder-exit';
import { errorMessage } from '../runtime/core/errors';
import { systemClock } from '../runtime/core/ports';
import { createDynamoStore } from '../runtime/store/dynamo-store';
import { tableContext } from '../runtime/store/table-context';

/**
 * The builder's entry in local mode (bundled to assets/local/builder.js, started by
 * LocalTaskRunner as a child process): src/builder/main.ts with local parts. The build
 * parameters are in its environment; what the app's commands (run as the same OS user) must
 * not find in /proc/<pid>/environ comes on stdin (LocalBuildInput): DynamoDB Local's endpoint
 * and key id, the build's own secrets, and the folders in the data directory. Deploy commands
 * run with the user's own AWS credentials (no STS), and there is no live path of its own: the
 * runner reads the numbered records on stdout and ingests them.
 */

/** More than any build's secrets; a runner that sends more is not this one. */
const MAX_INPUT_BYTES = 16 * 1024 * 1024;
/** How often the builder checks that the server that started it still runs. */
const PARENT_CHECK_MS = 500;

const log = openBuildLog({ ...process.env, [BUILD_SETTINGS.logIngestFunction]: undefined }, {
  sink: line => process.stdout.write(`${line}\n`),
  clock: systemClock,
  sendTo: () => async () => { throw new Error('local builds have no live sender'); },
});
const output = log.output;

/** No deploy role is assumed locally: build and deploy see the user's own AWS variables. */
const userCredentials: CredentialSource = { credentialsFor: async () => ({}) };

async function main(): Promise<number> {
  let input: LocalBuildInput;
  try {
    input = parseLocalBuildInput(await readInput());
  } catch (error) {
    output.write(`error: ${errorMessage(error)}`, 'stderr');
    return BUILDER_EXIT.invalid;
  }
  const tableName = process.env[BUILD_SETTINGS.tableName];
  if (!tableName) {
    output.write(`error: ${BUILD_SETTINGS.tableName} not set by the local runner`, 'stderr');
    return BUILDER_EXIT.invalid;
  }
  const parameters = { ...process.env, ...input.settings };
  const cacheDir = input.settings[LOCAL_BUILD_SETTINGS.cacheDir];
  const artifactDir = input.settings[LOCAL_BUILD_SETTINGS.artifactDir];
  // The runner stops a build with SIGTERM (cancelled, or the local server stops): stop the running command too.
  const stop = new AbortController();
  process.once('SIGTERM', () => stop.abort());
  return runBuild(parameters, {
    store: createDynamoStore(tableContext(tableName, localClientConfig(input.dynamodb.endpoint, input.dynamodb.accessKeyId))),
    secrets: new GivenSecrets(input.secrets, input.secretsError),
    credentials: userCredentials,
    workspace: process.cwd(),
    output,
    clock: systemClock,
    signal: stop.signal,
    cache: cacheDir ? new FolderCacheStorage(cacheDir) : undefined,
    // Artifacts are what rollbacks redeploy: nothing is evicted for size (the user deletes the folder).
    artifacts: artifactDir ? new FolderCacheStorage(artifactDir, Number.POSITIVE_INFINITY) : undefined,
    // Beside the dependency cache in the data directory (not in it: its eviction counts archives only).
    nodeCache: cacheDir ? join(dirname(cacheDir), 'node') : undefined,
    // The runner minted it (local mode's GitHub App on the stand-in) and cloning is from the stand-in over HTTP.
    repositoryTokens: input.repositoryToken === undefined ? undefined : givenRepositoryToken(input.repositoryToken),
  });
}

/** All of stdin (the runner writes one JSON document and closes it), then stdin is closed here too. */
async function readInput(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of process.stdin) {
      size += (chunk as Buffer).length;
      if (size > MAX_INPUT_BYTES) throw new Error(`the local runner's input is larger than ${MAX_INPUT_BYTES} bytes`);
      chunks.push(chunk as Buffer);
    }
  } finally {
    process.stdin.destroy();
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The runner's server was killed (`kill -9`, a crash): nobody reads this build's records or
 * reports its end, and the next start marks it failed. Stop it and every command it runs now
 * (the builder leads its own process group), rather than deploy on unseen.
 */
const parent = process.ppid;
setInterval(() => {
  if (process.ppid === parent) return;
  try {
    process.kill(0, 'SIGKILL');
  } catch {
    process.exit(BUILDER_EXIT.invalid);
  }
}, PARENT_CHECK_MS).unref();

runToExit(log, main);
