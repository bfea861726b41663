import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { TableContext, isConditionFailed } from './table-context';
import { keys } from '../../contract/table-schema';
import { Clock, DeliveryStore, DeliverySummary, systemClock } from '../core/ports';

/** Webhook delivery ids, kept until their TTL so a redelivery is recognised. */
export class DynamoDeliveryStore implements DeliveryStore {
  constructor(private readonly ctx: TableContext, private readonly clock: Clock = systemClock) {}

  async recordFirst(deliveryId: string, expiresAt: number, summary?: DeliverySummary): Promise<boolean> {
    try {
      await this.ctx.doc.send(new PutCommand({
        TableName: this.ctx.tableName,
        Item: { ...keys.delivery(deliveryId), entity: 'delivery', deliveryId, expiresAt, summary },
        // TTL deletes lazily: an expired record counts as absent.
        ConditionExpression: 'attribute_not_exists(PK) OR expiresAt < :now',
        ExpressionAttributeValues: { ':now': Math.floor(this.clock.now().getTime() / 1000) },
      }));
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  async forget(deliveryId: string): Promise<void> {
    await this.ctx.doc.send(new DeleteCommand({ TableName: this.ctx.tableName, Key: keys.delivery(deliveryId) }));
  }
}
