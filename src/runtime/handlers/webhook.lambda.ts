import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { logJson } from './json-log';
import { GITHUB_ENV, WEBHOOK_ENV } from '../../contract/function-environment';
import { fromHttpApiEvent, toHttpApiResult } from '../aws/api-gateway';
import { SecretsManagerSource } from '../aws/secrets-manager-source';
import { SqsLaunchQueue } from '../aws/sqs-launch-queue';
import { withDeploymentMetrics } from '../core/deployment-metrics';
import { createDynamoStore } from '../store/dynamo-store';
import { tableContext } from '../store/table-context';
import { handleWebhook } from '../webhook/webhook-handler';
import { webhookSecrets } from '../webhook/webhook-secrets';

// Built once per container; the secret value is cached in memory, never in the environment.
const installation = process.env[WEBHOOK_ENV.installation]!;
// A push superseded at once, or one the queue refused (failed), is logged and counted once (metrics.ts).
const store = withDeploymentMetrics(createDynamoStore(tableContext(process.env[WEBHOOK_ENV.tableName]!)), { installation, log: logJson });
const queue = new SqsLaunchQueue(process.env[WEBHOOK_ENV.queueUrl]!);
const secrets = new SecretsManagerSource();
const secretArn = process.env[WEBHOOK_ENV.webhookSecretArn]!;
// The installation's webhook secret, and the GitHub App's once the setup page (or the user) stored it.
const signingSecrets = webhookSecrets(() => secrets.get(secretArn), secrets, process.env[GITHUB_ENV.appWebhookSecret] || undefined);

/** POST /webhook on the HTTP API: GitHub push and pull_request events. */
export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const response = await handleWebhook(fromHttpApiEvent(event), {
    secrets: signingSecrets,
    store,
    queue,
    log: logJson,
    installation,
  });
  return toHttpApiResult(response);
}
