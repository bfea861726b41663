import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge, functionReasons } from './acknowledge';
import { BoundGitHubApp, actingAsAppEnvironment } from './bound-github-app';
import { trellisLogGroup } from './log-groups';
import { GITHUB_REPORTER_ENV, REPOSITORY_TOKEN_ENV } from '../../contract/function-environment';
import { PARTITION_KEY, SORT_KEY, keys } from '../../contract/table-schema';
import { Deployment, DeploymentAction, EnvironmentRecord } from '../../runtime/core/types';
import { GithubReporterFunction } from '../../runtime/handlers/github-reporter-function';
import { RepositoryTokenFunction } from '../../runtime/handlers/repository-token-function';
import { StateTable } from '../state-table';

/** What the functions acting as the GitHub App work with. */
export interface GitHubFunctionsOptions {
  readonly app: BoundGitHubApp;
  readonly table: StateTable;
  readonly installationName: string;
  /** The dashboard's URL: reports link to a deployment's page. */
  readonly dashboardUrl: string;
  readonly logRetention?: logs.RetentionDays;
}

/** A failing report is retried twice (three attempts), halving the batch, then dropped: it never holds up the stream. */
const REPORT_RETRY_ATTEMPTS = 2;
/** Records older than this are dropped unreported: a status that late would mislead more than it helps. */
const REPORT_MAX_AGE = Duration.hours(1);
/** The deployment item's attribute the reporter keeps the GitHub Deployment's id in. */
const GITHUB_DEPLOYMENT_ID: keyof Deployment = 'githubDeploymentId';
/** The environment item's attribute a preview's record (with its pull request comment's id) is kept in. */
const PREVIEW_ATTRIBUTE: keyof EnvironmentRecord = 'preview';
/** A teardown deploys no commit: GitHub hears about every other action (the reporter decides the rest). */
const UNREPORTED_ACTION: DeploymentAction = 'teardown';

/**
 * Mints a build's clone token: invoked by the build roles with the deployment's id and ingest
 * token, it reads the deployment and its application's configuration and the App's credentials.
 */
export function repositoryTokenFunction(scope: Construct, options: GitHubFunctionsOptions): lambda.Function {
  const fn = new RepositoryTokenFunction(scope, 'RepositoryToken', {
    description: 'Trellis: a GitHub App token for exactly one build\'s repository, contents read-only',
    timeout: Duration.seconds(30),
    memorySize: 512,
    environment: {
      ...actingAsAppEnvironment(options.app),
      [REPOSITORY_TOKEN_ENV.tableName]: options.table.tableName,
      [REPOSITORY_TOKEN_ENV.installation]: options.installationName,
    },
    logGroup: trellisLogGroup(scope, 'RepositoryTokenLogs', options.logRetention),
  });
  options.app.grantReadCredentials(fn);
  grantTable(fn, options.table, ['dynamodb:GetItem', 'dynamodb:Query'], [keys.configuration().PK, keys.deployment('*').PK]);
  options.table.table.encryptionKey?.grantDecrypt(fn);
  acknowledge(fn, functionReasons(options.table.table));
  return fn;
}

/**
 * Reports pushed deployments to GitHub (commit statuses, GitHub Deployments) from the table's
 * stream: it reads deployments and environments, keeps the GitHub Deployment's id on the
 * deployment item, and reads the App's credentials.
 */
export function githubReporter(scope: Construct, options: GitHubFunctionsOptions): lambda.Function {
  const fn = new GithubReporterFunction(scope, 'Reporter', {
    description: 'Trellis: commit statuses and GitHub Deployments of pushed deployments',
    // A record takes about 95 s at worst while GitHub fails (three calls, each tried three times); a batch is three records.
    timeout: Duration.minutes(5),
    memorySize: 512,
    environment: {
      ...actingAsAppEnvironment(options.app),
      [GITHUB_REPORTER_ENV.tableName]: options.table.tableName,
      [GITHUB_REPORTER_ENV.installation]: options.installationName,
      [GITHUB_REPORTER_ENV.dashboardUrl]: options.dashboardUrl,
    },
    logGroup: trellisLogGroup(scope, 'ReporterLogs', options.logRetention),
  });
  options.app.grantReadCredentials(fn);
  const deploymentKey = keys.deployment('*').PK;
  grantTable(fn, options.table, ['dynamodb:GetItem'], [keys.configuration().PK, deploymentKey]);
  // Of a deployment item, only the GitHub Deployment's id: never its status or anything else.
  grantTable(fn, options.table, ['dynamodb:UpdateItem'], [deploymentKey], {
    'ForAllValues:StringEquals': { 'dynamodb:Attributes': [PARTITION_KEY, SORT_KEY, GITHUB_DEPLOYMENT_ID] },
    'StringEqualsIfExists': { 'dynamodb:ReturnValues': ['NONE', 'UPDATED_OLD', 'UPDATED_NEW'] },
  });
  // Of an environment item, only a preview's record: the id of its pull request's comment (previews/preview-comments.ts).
  grantTable(fn, options.table, ['dynamodb:UpdateItem'], [keys.configuration().PK], {
    'ForAllValues:StringEquals': { 'dynamodb:Attributes': [PARTITION_KEY, SORT_KEY, PREVIEW_ATTRIBUTE] },
    'StringEqualsIfExists': { 'dynamodb:ReturnValues': ['NONE', 'UPDATED_OLD', 'UPDATED_NEW'] },
  });
  readStream(fn, options.table);
  options.table.table.encryptionKey?.grantEncryptDecrypt(fn);
  acknowledge(fn, functionReasons(options.table.table));
  return fn;
}

/**
 * The stream's records of pushed deployments, new and changed (a filter: other items never
 * invoke the function), in order per shard; a failing record is retried a bounded number of
 * times and then dropped, never blocking the records after it for long.
 */
function readStream(fn: lambda.Function, table: StateTable): void {
  const streamArn = table.table.tableStreamArn;
  if (!streamArn) throw new Error(`StateTable ${table.node.path} has no stream: the GitHub reporter needs streamChanges`);
  const deployment = keys.deployment('id');
  fn.addEventSourceMapping('TableStream', {
    eventSourceArn: streamArn,
    startingPosition: lambda.StartingPosition.LATEST,
    batchSize: 3,
    retryAttempts: REPORT_RETRY_ATTEMPTS,
    bisectBatchOnError: true,
    maxRecordAge: REPORT_MAX_AGE,
    reportBatchItemFailures: true,
    filters: [lambda.FilterCriteria.filter({
      eventName: lambda.FilterRule.or('INSERT', 'MODIFY'),
      dynamodb: {
        Keys: {
          PK: { S: lambda.FilterRule.beginsWith(keys.deployment('').PK) },
          SK: { S: lambda.FilterRule.isEqual(deployment.SK) },
        },
        NewImage: { action: { S: lambda.FilterRule.notEquals(UNREPORTED_ACTION) } },
      },
    })],
  });
  // The stream itself, not `*`: Lambda reads a stream it is given by ARN without dynamodb:ListStreams.
  fn.addToRolePolicy(new iam.PolicyStatement({
    actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
    resources: [streamArn],
  }));
}

/** `actions` on the table itself (no index), only on items whose partition key is one of `leadingKeys`, and under `conditions`. */
export function grantTable(fn: lambda.Function, table: StateTable, actions: string[], leadingKeys: string[],
  conditions: Record<string, unknown> = {}): void {
  fn.addToRolePolicy(new iam.PolicyStatement({
    actions,
    resources: [table.table.tableArn],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': leadingKeys }, ...conditions },
  }));
}

