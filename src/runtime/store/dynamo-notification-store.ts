import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TableContext, pageLimit, withoutKeys } from './table-context';
import { keys } from '../../contract/table-schema';
import { NotificationFailureView } from '../core/api-types';
import { NotificationStore } from '../core/ports';

const DEFAULT_FAILURES = 20;
const MAX_FAILURES = 100;

/**
 * Notifications in the state table: `NOTIFYSEQ#<app>` / `ENV#<env>` holds the environment's last
 * event number (ADD 1 answers the new value: two producers never get the same one), and
 * `NOTIFYFAIL#<app>` the failed deliveries, sort key `<at>#<id>`, expiring by TTL.
 */
export class DynamoNotificationStore implements NotificationStore {
  constructor(private readonly ctx: TableContext) {}

  async nextSequence(application: string, environment: string): Promise<number> {
    const result = await this.ctx.doc.send(new UpdateCommand({
      TableName: this.ctx.tableName,
      Key: keys.notificationSequence(application, environment),
      UpdateExpression: 'ADD #sequence :one SET entity = :entity',
      ExpressionAttributeNames: { '#sequence': 'sequence' },
      ExpressionAttributeValues: { ':one': 1, ':entity': 'notificationSequence' },
      ReturnValues: 'ALL_NEW',
    }));
    return Number(result.Attributes?.sequence);
  }

  async recordFailure(failure: NotificationFailureView, expiresAt: number): Promise<void> {
    await this.ctx.doc.send(new PutCommand({
      TableName: this.ctx.tableName,
      Item: { ...keys.notificationFailure(failure.application, failure.at, failure.id, failure.position), entity: 'notificationFailure', ...failure, expiresAt },
    }));
  }

  async listFailures(application: string, options: { limit?: number } = {}): Promise<NotificationFailureView[]> {
    const result = await this.ctx.doc.send(new QueryCommand({
      TableName: this.ctx.tableName,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': keys.notificationFailures(application).PK },
      ScanIndexForward: false,
      Limit: pageLimit(options.limit, DEFAULT_FAILURES, MAX_FAILURES),
    }));
    return (result.Items ?? []).map(item => withoutKeys<NotificationFailureView>(item));
  }
}
