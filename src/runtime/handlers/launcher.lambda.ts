import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { logJson } from './json-log';
import { ecsRunnerFromEnvironment } from '../aws/ecs-task-runner';
import { launchQueued } from '../build/launch';
import { errorMessage } from '../core/errors';
import { createDynamoStore } from '../store/dynamo-store';
import { tableContext } from '../store/table-context';

const store = createDynamoStore(tableContext(process.env.TABLE_NAME!));
const runner = ecsRunnerFromEnvironment();
const log = logJson;

/** Launch queue → lock rule → ECS RunTask. A record that throws is retried by SQS, then dead-lettered. */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      const { deploymentId } = JSON.parse(record.body) as { deploymentId?: unknown };
      if (typeof deploymentId !== 'string') {
        log({ message: 'launch message without deploymentId dropped', messageId: record.messageId });
        continue;
      }
      log({ message: 'launch requested', ...await launchQueued(deploymentId, { store, runner, log }) });
    } catch (error) {
      log({ message: 'launch failed; SQS will retry', messageId: record.messageId, error: errorMessage(error) });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}
