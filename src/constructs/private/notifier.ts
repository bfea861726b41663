import { Duration, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge, functionReasons } from './acknowledge';
import { grantTable } from './github-functions';
import { trellisLogGroup } from './log-groups';
import { NOTIFIER_ENV } from '../../contract/function-environment';
import { keys } from '../../contract/table-schema';
import { ValidationIssue } from '../../runtime/core/errors';
import { printable } from '../../runtime/core/names';
import { NotificationDestinationConfig } from '../../runtime/core/notification-config';
import { NotifierFunction } from '../../runtime/handlers/notifier-function';
import { StateTable } from '../state-table';

export interface NotifierOptions {
  readonly table: StateTable;
  readonly installationName: string;
  /** The dashboard's URL: a notification links to the deployment's page. */
  readonly dashboardUrl: string;
  readonly logRetention?: logs.RetentionDays;
}

/** A record's deliveries are not retried by the stream (the notifier retries them); only an unreadable table is, twice. */
const STREAM_RETRY_ATTEMPTS = 2;
/** Older records are dropped: a notification that late would mislead more than it helps. */
const MAX_RECORD_AGE = Duration.hours(1);

/**
 * The notifier function: it follows the state table's stream (switched on here if it is not yet)
 * for changed deployments and preview environments made or deleted; it reads the deployment and
 * its application's destinations, numbers the event per environment (the counter items only) and
 * records failed deliveries (the failure items only).
 * Destinations' secrets and topics are granted by `NotificationDestination._grant`.
 */
export function notifierFunction(scope: Construct, options: NotifierOptions): lambda.Function {
  const fn = new NotifierFunction(scope, 'Notifier', {
    description: 'Trellis: signed notifications of deployments to webhooks, Slack and SNS',
    // A batch of five records to a destination that never answers: five times three attempts of 5 s, with waits.
    timeout: Duration.minutes(5),
    memorySize: 256,
    environment: {
      [NOTIFIER_ENV.tableName]: options.table.tableName,
      [NOTIFIER_ENV.installation]: options.installationName,
      [NOTIFIER_ENV.dashboardUrl]: options.dashboardUrl,
    },
    logGroup: trellisLogGroup(scope, 'NotifierLogs', options.logRetention),
  });
  grantTable(fn, options.table, ['dynamodb:GetItem'], [keys.configuration().PK, keys.deployment('*').PK]);
  grantTable(fn, options.table, ['dynamodb:UpdateItem'], [keys.notificationSequence('*', '*').PK]);
  grantTable(fn, options.table, ['dynamodb:PutItem'], [keys.notificationFailures('*').PK]);
  const streamArn = options.table._streamChanges();
  fn.addEventSourceMapping('TableStream', {
    eventSourceArn: streamArn,
    startingPosition: lambda.StartingPosition.LATEST,
    batchSize: 5,
    retryAttempts: STREAM_RETRY_ATTEMPTS,
    bisectBatchOnError: true,
    maxRecordAge: MAX_RECORD_AGE,
    reportBatchItemFailures: true,
    // Deployment items, new and changed, and preview environments made or deleted: nothing else invokes the function.
    filters: [
      lambda.FilterCriteria.filter({
        eventName: lambda.FilterRule.or('INSERT', 'MODIFY'),
        dynamodb: {
          Keys: {
            PK: { S: lambda.FilterRule.beginsWith(keys.deployment('').PK) },
            SK: { S: lambda.FilterRule.isEqual(keys.deployment('id').SK) },
          },
        },
      }),
      lambda.FilterCriteria.filter({
        eventName: lambda.FilterRule.isEqual('INSERT'),
        dynamodb: {
          Keys: { PK: { S: lambda.FilterRule.isEqual(keys.configuration().PK) } },
          NewImage: { preview: { M: lambda.FilterRule.exists() } },
        },
      }),
      lambda.FilterCriteria.filter({
        eventName: lambda.FilterRule.isEqual('REMOVE'),
        dynamodb: {
          Keys: { PK: { S: lambda.FilterRule.isEqual(keys.configuration().PK) } },
          OldImage: { preview: { M: lambda.FilterRule.exists() } },
        },
      }),
    ],
  });
  // The stream itself, not `*`: Lambda reads a stream it is given by ARN without dynamodb:ListStreams.
  fn.addToRolePolicy(new iam.PolicyStatement({
    actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
    resources: [streamArn],
  }));
  options.table.table.encryptionKey?.grantEncryptDecrypt(fn);
  acknowledge(fn, functionReasons(options.table.table));
  return fn;
}

/**
 * What AWS adds to the configuration's rules: a webhook's URL is https:// (the signed body and its
 * headers cross the internet). Local mode takes any http(s) URL.
 */
export function awsNotificationIssues(destinations: readonly NotificationDestinationConfig[] | undefined, path: string): ValidationIssue[] {
  return (destinations ?? []).flatMap((destination, index) => {
    const url = destination.url;
    if (destination.kind !== 'webhook' || url === undefined || Token.isUnresolved(url) || url.startsWith('https://')) return [];
    return [{ path: `${path}[${index}].url`, message: `must be an https:// URL, got '${printable(url, 120)}'` }];
  });
}
