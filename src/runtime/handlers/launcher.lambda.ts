import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { logJson } from './json-log';
import { LAUNCHER_ENV } from '../../contract/function-environment';
import { ecsRunnerFromEnvironment } from '../aws/ecs-task-runner';
import { SqsLaunchQueue } from '../aws/sqs-launch-queue';
import { withDeploymentMetrics } from '../core/deployment-metrics';
import { errorMessage } from '../core/errors';
import { launchQueued } from '../deployments/launch';
import { createDynamoStore } from '../store/dynamo-store';
import { tableContext } from '../store/table-context';

const log = logJson;
// A deployment that cannot be started, or is superseded by a newer one, is logged and counted once (metrics.ts).
const store = withDeploymentMetrics(createDynamoStore(tableContext(process.env[LAUNCHER_ENV.tableName]!)), {
  installation: process.env[LAUNCHER_ENV.installation]!,
  log,
});
const runner = ecsRunnerFromEnvironment();
/** Its own queue: a push whose order is not known yet is sent back to it, delayed. */
const queue = new SqsLaunchQueue(process.env[LAUNCHER_ENV.queueUrl]!);

/** Launch queue → lock rule → ECS RunTask. A record that throws is retried by SQS, then dead-lettered. */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      const { deploymentId, deferrals } = JSON.parse(record.body) as { deploymentId?: unknown; deferrals?: unknown };
      if (typeof deploymentId !== 'string') {
        log({ message: 'launch message without deploymentId dropped', messageId: record.messageId });
        continue;
      }
      const recheck = { queue, deferrals: typeof deferrals === 'number' && Number.isInteger(deferrals) && deferrals >= 0 ? deferrals : 0 };
      log({ message: 'launch requested', ...await launchQueued(deploymentId, { store, runner, log }, recheck) });
    } catch (error) {
      log({ message: 'launch failed; SQS will retry', messageId: record.messageId, error: errorMessage(error) });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}
