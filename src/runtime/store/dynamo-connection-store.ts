import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { TableContext, queryAll, withoutKeys } from './table-context';
import { GSI1, keys } from '../../contract/table-schema';
import { Connection, ConnectionStore } from '../core/ports';

/**
 * WebSocket connections and their subscriptions. A subscription item sits in the
 * deployment's partition (fan-out reads it) and is indexed by connection (disconnect
 * cleans it up).
 */
export class DynamoConnectionStore implements ConnectionStore {
  constructor(private readonly ctx: TableContext) {}

  async put(connection: Connection, expiresAt: number): Promise<void> {
    await this.ctx.doc.send(new PutCommand({
      TableName: this.ctx.tableName,
      Item: { ...keys.connection(connection.connectionId), entity: 'connection', ...connection, expiresAt },
    }));
  }

  async get(connectionId: string): Promise<Connection | undefined> {
    const key = keys.connection(connectionId);
    const result = await this.ctx.doc.send(new GetCommand({ TableName: this.ctx.tableName, Key: key, ConsistentRead: true }));
    return result.Item ? withoutKeys<Connection>(result.Item) : undefined;
  }

  async remove(connectionId: string): Promise<void> {
    const subscriptions = await queryAll(this.ctx, {
      IndexName: GSI1,
      KeyConditionExpression: 'GSI1PK = :pk',
      ExpressionAttributeValues: { ':pk': keys.subscriptionsOfConnection(connectionId).GSI1PK },
    });
    for (const item of subscriptions) {
      await this.ctx.doc.send(new DeleteCommand({ TableName: this.ctx.tableName, Key: { PK: item.PK, SK: item.SK } }));
    }
    await this.ctx.doc.send(new DeleteCommand({ TableName: this.ctx.tableName, Key: keys.connection(connectionId) }));
  }

  async subscribe(connectionId: string, deploymentId: string, expiresAt: number): Promise<void> {
    await this.ctx.doc.send(new PutCommand({
      TableName: this.ctx.tableName,
      Item: { ...keys.subscription(connectionId, deploymentId), entity: 'subscription', connectionId, deploymentId, expiresAt },
    }));
  }

  async unsubscribe(connectionId: string, deploymentId: string): Promise<void> {
    const { PK, SK } = keys.subscription(connectionId, deploymentId);
    await this.ctx.doc.send(new DeleteCommand({ TableName: this.ctx.tableName, Key: { PK, SK } }));
  }

  async subscribers(deploymentId: string): Promise<string[]> {
    const items = await queryAll(this.ctx, {
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': keys.subscriptionsOfDeployment(deploymentId).PK },
      ProjectionExpression: 'connectionId',
      ConsistentRead: true,
    });
    return items.map(item => item.connectionId as string);
  }
}
