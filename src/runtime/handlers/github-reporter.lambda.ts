import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { logJson } from './json-log';
import { GITHUB_REPORTER_ENV } from '../../contract/function-environment';
import { SecretsManagerSource } from '../aws/secrets-manager-source';
import { reportDeploymentStream } from '../github/deployment-stream';
import { gitHubConnectionFromEnvironment } from '../github/github-connection';
import { createDynamoStore } from '../store/dynamo-store';
import { tableContext } from '../store/table-context';

// Built once per container; the App's credentials are read from their secret when first needed.
const store = createDynamoStore(tableContext(process.env[GITHUB_REPORTER_ENV.tableName]!));
const github = gitHubConnectionFromEnvironment(process.env, new SecretsManagerSource(), logJson);
const installation = process.env[GITHUB_REPORTER_ENV.installation]!;
const dashboardUrl = process.env[GITHUB_REPORTER_ENV.dashboardUrl]!;

/**
 * The state table's stream (deployment items) → commit statuses and GitHub Deployments. Answers
 * normally whatever GitHub does (the reporter retries, logs and counts); only records whose
 * deployment could not be read from the table are answered as failures, for the event source
 * mapping's bounded retries.
 */
export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  if (!github) return { batchItemFailures: [] };
  return reportDeploymentStream(event, { store, github, installation, dashboardUrl, log: logJson });
}
