import { LambdaClient } from '@aws-sdk/client-lambda';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { openBuildLog, runToExit } from './build-log';
import { IMAGE_PACKAGE_MANAGERS } from './corepack-fallback';
import { AssumeRole, AssumeRoleCredentialSource, sessionNameFor } from './credentials';
import { lambdaIngest } from './lambda-ingest';
import { repositoryTokenFunction } from './repository-token';
import { runBuild } from './run-build';
import { S3CacheStorage } from './s3-cache-storage';
import { BUILD_PARAMETERS, BUILD_SETTINGS } from '../contract/build-environment';
import { SecretsManagerSource } from '../runtime/aws/secrets-manager-source';
import { BUILDER_EXIT } from '../runtime/core/builder-exit';
import { systemClock } from '../runtime/core/ports';
import { createDynamoStore } from '../runtime/store/dynamo-store';
import { tableContext } from '../runtime/store/table-context';

/**
 * The container's entry point (bundled to builder.js): real DynamoDB, Secrets Manager,
 * STS and Lambda, the log as numbered JSON records on stdout (and live batches to the
 * ingest function), and the exit code the finalizer reads.
 */

// One stream keeps phase markers and command output in order in the task's log.
const log = openBuildLog(process.env, {
  sink: line => process.stdout.write(`${line}\n`),
  clock: systemClock,
  // One attempt, bounded: a failed or slow batch is not retried, the archive path fills the gap.
  sendTo: functionName => lambdaIngest(new LambdaClient({
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 3000, requestTimeout: 15000, throwOnRequestTimeout: true },
  }), functionName),
});
const output = log.output;

const sts = new STSClient({});
const assumeRole: AssumeRole = async (roleArn, sessionName, tags) => {
  const request = new AssumeRoleCommand({
    RoleArn: roleArn,
    RoleSessionName: sessionName,
    DurationSeconds: 3600,
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  });
  const { Credentials: credentials } = await sts.send(request);
  if (!credentials?.AccessKeyId || !credentials.SecretAccessKey || !credentials.SessionToken) {
    throw new Error(`assuming ${roleArn} returned no credentials`);
  }
  return { accessKeyId: credentials.AccessKeyId, secretAccessKey: credentials.SecretAccessKey, sessionToken: credentials.SessionToken };
};

async function main(): Promise<number> {
  const tableName = process.env[BUILD_SETTINGS.tableName];
  if (!tableName) {
    output.write(`error: ${BUILD_SETTINGS.tableName} is not set on the task definition`, 'stderr');
    return BUILDER_EXIT.invalid;
  }
  const cacheBucket = process.env[BUILD_SETTINGS.cacheBucket];
  const artifactBucket = process.env[BUILD_SETTINGS.artifactBucket];
  // ECS stops the task with SIGTERM (cancelled or superseded): stop the running command too.
  const stop = new AbortController();
  process.once('SIGTERM', () => stop.abort());
  return runBuild(process.env, {
    store: createDynamoStore(tableContext(tableName)),
    secrets: new SecretsManagerSource(),
    credentials: new AssumeRoleCredentialSource(assumeRole, {
      name: sessionNameFor(process.env[BUILD_PARAMETERS.deploymentId]),
      installation: process.env[BUILD_SETTINGS.installation] ?? '',
    }),
    workspace: process.cwd(),
    output,
    clock: systemClock,
    signal: stop.signal,
    cache: cacheBucket ? new S3CacheStorage(cacheBucket) : undefined,
    artifacts: artifactBucket ? new S3CacheStorage(artifactBucket) : undefined,
    // The image's builder is root: the app's code runs as the image's app user or not at all.
    appUserRequired: true,
    // The task's own disk: a Node fetched for an app lasts as long as the task (one build).
    nodeCache: '/var/cache/trellis-node',
    packageManagers: IMAGE_PACKAGE_MANAGERS,
    // With a GitHub App: the clone's token from the repository-token function (a retry, bounded).
    repositoryTokens: repositoryTokenFunction(process.env, new LambdaClient({
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 3000, requestTimeout: 15000, throwOnRequestTimeout: true },
    })),
  });
}

runToExit(log, main);
