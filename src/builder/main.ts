import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { AssumeRole, AssumeRoleCredentialSource, sessionNameFor } from './credentials';
import { LineWriter } from './output';
import { runBuild } from './run-build';
import { SecretsManagerSource } from '../runtime/aws/secrets-manager-source';
import { BUILD_PARAMETERS, BUILD_SETTINGS, BUILDER_EXIT } from '../runtime/core/build-contract';
import { errorMessage } from '../runtime/core/errors';
import { systemClock } from '../runtime/core/ports';
import { createDynamoStore } from '../runtime/store/dynamo-store';
import { tableContext } from '../runtime/store/table-context';

/**
 * The container's entry point (bundled to builder.js): real DynamoDB, Secrets Manager and
 * STS, output on stdout, and the exit code the finalizer reads.
 */

// One stream keeps phase markers and command output in order in the task's log.
const stdout: LineWriter = { write: line => process.stdout.write(`${line}\n`) };

const sts = new STSClient({});
const assumeRole: AssumeRole = async (roleArn, sessionName) => {
  const request = new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName, DurationSeconds: 3600 });
  const { Credentials: credentials } = await sts.send(request);
  if (!credentials?.AccessKeyId || !credentials.SecretAccessKey || !credentials.SessionToken) {
    throw new Error(`assuming ${roleArn} returned no credentials`);
  }
  return { accessKeyId: credentials.AccessKeyId, secretAccessKey: credentials.SecretAccessKey, sessionToken: credentials.SessionToken };
};

async function main(): Promise<number> {
  const tableName = process.env[BUILD_SETTINGS.tableName];
  if (!tableName) {
    stdout.write(`error: ${BUILD_SETTINGS.tableName} is not set on the task definition`, 'stdout');
    return BUILDER_EXIT.invalid;
  }
  // ECS stops the task with SIGTERM (cancelled or superseded): stop the running command too.
  const stop = new AbortController();
  process.once('SIGTERM', () => stop.abort());
  return runBuild(process.env, {
    store: createDynamoStore(tableContext(tableName)),
    secrets: new SecretsManagerSource(),
    credentials: new AssumeRoleCredentialSource(assumeRole, sessionNameFor(process.env[BUILD_PARAMETERS.deploymentId])),
    workspace: process.cwd(),
    output: stdout,
    clock: systemClock,
    signal: stop.signal,
  });
}

main().then(
  code => process.exit(code),
  error => {
    stdout.write(`error: the builder crashed: ${errorMessage(error)}`, 'stdout');
    process.exit(BUILDER_EXIT.failed);
  },
);
