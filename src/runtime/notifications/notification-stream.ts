import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { BackgroundNotifier } from './notifier';
import { errorMessage } from '../core/errors';
import { Store } from '../core/ports';
import { statusChange } from '../github/deployment-stream';

export interface NotificationStreamDeps {
  readonly store: Pick<Store, 'deployments'>;
  readonly notifier: Pick<BackgroundNotifier, 'notifyDeployment' | 'settled'>;
  readonly log: (entry: Record<string, unknown>) => void;
}

/**
 * The table's stream (each changed deployment item) → notifications, one per status change, in the
 * order of the stream (ordered per deployment). The event is the status the record shows, with the
 * deployment as it is read now (its reason, once it has one). Returns once every delivery has
 * succeeded or failed for good (the function's timeout covers the bounded retries); only a failed
 * read of the table is answered as a batch item failure, for the event source mapping's retries.
 */
export async function notifyDeploymentStream(event: DynamoDBStreamEvent, deps: NotificationStreamDeps): Promise<DynamoDBBatchResponse> {
  const batchItemFailures: DynamoDBBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    const change = statusChange(record);
    if (!change) continue;
    try {
      const deployment = await deps.store.deployments.get(change.id);
      if (!deployment) continue;
      await deps.notifier.notifyDeployment({ ...deployment, status: change.status });
    } catch (error) {
      deps.log({ message: 'deployment not notified: the table could not be read', deployment: change.id, error: errorMessage(error) });
      if (record.dynamodb?.SequenceNumber) batchItemFailures.push({ itemIdentifier: record.dynamodb.SequenceNumber });
    }
  }
  await deps.notifier.settled();
  return { batchItemFailures };
}
