import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { TableContext, isConditionFailed } from './table-context';
import { keys } from '../../contract/table-schema';
import { Clock, OneUseStore, systemClock } from '../core/ports';

/** One-use values (a GitHub flow's `state`) as table items with a TTL; the delete that succeeds is the one use. */
export class DynamoOneUseStore implements OneUseStore {
  constructor(private readonly ctx: TableContext, private readonly clock: Clock = systemClock) {}

  async put(purpose: string, id: string, value: Readonly<Record<string, string>>, expiresAt: number): Promise<boolean> {
    try {
      await this.ctx.doc.send(new PutCommand({
        TableName: this.ctx.tableName,
        Item: { ...keys.oneUse(purpose, id), entity: 'one-use', value: { ...value }, expiresAt },
        // TTL deletes lazily: an expired item counts as absent.
        ConditionExpression: 'attribute_not_exists(PK) OR expiresAt < :now',
        ExpressionAttributeValues: { ':now': this.nowSeconds() },
      }));
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  async take(purpose: string, id: string): Promise<Record<string, string> | undefined> {
    const key = keys.oneUse(purpose, id);
    const { Item } = await this.ctx.doc.send(new GetCommand({ TableName: this.ctx.tableName, Key: key, ConsistentRead: true }));
    if (!Item || (Item.expiresAt as number) < this.nowSeconds()) return undefined;
    try {
      // Of two callers that read the item, only the one whose delete finds it still there has taken it.
      await this.ctx.doc.send(new DeleteCommand({ TableName: this.ctx.tableName, Key: key, ConditionExpression: 'attribute_exists(PK)' }));
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
    return { ...Item.value as Record<string, string> };
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now().getTime() / 1000);
  }
}
