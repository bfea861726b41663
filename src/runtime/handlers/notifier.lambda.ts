import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { logJson } from './json-log';
import { NOTIFIER_ENV } from '../../contract/function-environment';
import { SecretsManagerSource } from '../aws/secrets-manager-source';
import { SnsTopicPublisher } from '../aws/sns-topic-publisher';
import { notifyDeploymentStream } from '../notifications/notification-stream';
import { createNotifier } from '../notifications/notifier';
import { createDynamoStore } from '../store/dynamo-store';
import { tableContext } from '../store/table-context';

// Built once per container; a destination's secret is read when it is first sent to (and cached a while).
const store = createDynamoStore(tableContext(process.env[NOTIFIER_ENV.tableName]!));
const dashboardUrl = process.env[NOTIFIER_ENV.dashboardUrl]!;
const notifier = createNotifier({
  store,
  installation: process.env[NOTIFIER_ENV.installation]!,
  dashboardUrl: () => dashboardUrl,
  secrets: new SecretsManagerSource(),
  topics: new SnsTopicPublisher(),
  log: logJson,
  // A URL only known at deploy time (a token), or a Slack URL read from its secret, is checked here.
  httpsOnly: true,
});

/** The state table's stream (deployment items) → notifications to each application's destinations. */
export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  return notifyDeploymentStream(event, { store, notifier, log: logJson });
}
