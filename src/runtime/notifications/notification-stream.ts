import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { BackgroundNotifier } from './notifier';
import { keys } from '../../contract/table-schema';
import { errorMessage } from '../core/errors';
import { NotificationEvent } from '../core/notification-config';
import { NotificationDetails, Store } from '../core/ports';
import { statusChange } from '../github/deployment-stream';

export interface NotificationStreamDeps {
  readonly store: Pick<Store, 'deployments'>;
  readonly notifier: Pick<BackgroundNotifier, 'notifyDeployment' | 'notifyEnvironment' | 'settled'>;
  readonly log: (entry: Record<string, unknown>) => void;
}

/**
 * The table's stream (each changed deployment item) → notifications, one per status change, in the
 * order of the stream (ordered per deployment). The event is the status the record shows, with the
 * deployment as it is read now (its reason, once it has one). Returns once every delivery has
 * succeeded or failed for good (the function's timeout covers the bounded retries); only a failed
 * read of the table is answered as a batch item failure, for the event source mapping's retries.
 * A preview environment's item made or deleted is `preview.created` / `preview.removed`.
 */
export async function notifyDeploymentStream(event: DynamoDBStreamEvent, deps: NotificationStreamDeps): Promise<DynamoDBBatchResponse> {
  const batchItemFailures: DynamoDBBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    const preview = previewChange(record);
    if (preview) await deps.notifier.notifyEnvironment(preview.event, preview.application, preview.environment, preview.details);
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

/** A preview environment's configuration item made (INSERT) or deleted (REMOVE), from its image's `preview` attribute. */
export function previewChange(record: DynamoDBRecord): {
  event: NotificationEvent; application: string; environment: string; details: NotificationDetails;
} | undefined {
  const image = record.eventName === 'INSERT' ? record.dynamodb?.NewImage : record.eventName === 'REMOVE' ? record.dynamodb?.OldImage : undefined;
  const preview = image?.preview?.M;
  if (!preview || record.dynamodb?.Keys?.PK?.S !== keys.configuration().PK) return undefined;
  // `APP#<app>#ENV#<env>`: names never contain `#`.
  const match = /^APP#([^#]+)#ENV#([^#]+)$/.exec(record.dynamodb?.Keys?.SK?.S ?? '');
  const number = Number(preview.pullRequest?.N);
  if (!match || !Number.isSafeInteger(number)) return undefined;
  return {
    event: record.eventName === 'INSERT' ? 'preview.created' : 'preview.removed',
    application: match[1],
    environment: match[2],
    details: {
      pullRequest: {
        number,
        ...preview.title?.S !== undefined && { title: preview.title.S },
        ...preview.author?.S !== undefined && { author: preview.author.S },
      },
    },
  };
}
