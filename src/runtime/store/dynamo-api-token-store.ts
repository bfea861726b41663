import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TableContext, isConditionFailed, queryAll } from './table-context';
import { keys } from '../../contract/table-schema';
import { ApiTokenRecord, TOKEN_USE_RESOLUTION_MS } from '../core/api-tokens';
import { ApiTokenStore } from '../core/ports';

/** Expired tokens stay listed (marked expired) this long before the table's TTL deletes them. */
const KEPT_AFTER_EXPIRY_SECONDS = 7 * 24 * 60 * 60;

/**
 * API tokens as items of one partition (`TOKENS`, like CONFIG: one query lists them). The item
 * holds the token's view and its secret's digest, never the secret; `expiresAt` is the table's
 * TTL attribute (epoch seconds), so the token's own expiry is kept as `validUntil`.
 */
export class DynamoApiTokenStore implements ApiTokenStore {
  constructor(private readonly ctx: TableContext) {}

  async create(token: ApiTokenRecord): Promise<boolean> {
    const { expiresAt, ...rest } = token;
    try {
      await this.ctx.doc.send(new PutCommand({
        TableName: this.ctx.tableName,
        Item: {
          ...keys.apiToken(token.id),
          entity: 'api-token',
          ...rest,
          validUntil: expiresAt,
          expiresAt: Math.floor(Date.parse(expiresAt) / 1000) + KEPT_AFTER_EXPIRY_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      }));
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  async get(id: string): Promise<ApiTokenRecord | undefined> {
    const { Item } = await this.ctx.doc.send(new GetCommand({ TableName: this.ctx.tableName, Key: keys.apiToken(id), ConsistentRead: true }));
    return Item && recordOf(Item);
  }

  async list(): Promise<ApiTokenRecord[]> {
    const items = await queryAll(this.ctx, {
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': keys.apiTokens().PK },
      ConsistentRead: true,
    });
    return items.map(recordOf).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async revoke(id: string): Promise<ApiTokenRecord | undefined> {
    const token = await this.get(id);
    if (!token) return undefined;
    try {
      // Of two revokes, the one whose delete finds the item has revoked it.
      await this.ctx.doc.send(new DeleteCommand({ TableName: this.ctx.tableName, Key: keys.apiToken(id), ConditionExpression: 'attribute_exists(PK)' }));
      return token;
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  }

  async touch(id: string, at: Date): Promise<void> {
    try {
      await this.ctx.doc.send(new UpdateCommand({
        TableName: this.ctx.tableName,
        Key: keys.apiToken(id),
        UpdateExpression: 'SET lastUsedAt = :at',
        // ISO-8601 UTC strings sort as time does. Never recreates a revoked token's item.
        ConditionExpression: 'attribute_exists(PK) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt <= :recent)',
        ExpressionAttributeValues: { ':at': at.toISOString(), ':recent': new Date(at.getTime() - TOKEN_USE_RESOLUTION_MS).toISOString() },
      }));
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }
}

function recordOf(item: Record<string, unknown>): ApiTokenRecord {
  return {
    id: item.id as string,
    name: item.name as string,
    role: item.role as ApiTokenRecord['role'],
    application: item.application as string,
    createdBy: item.createdBy as string,
    createdAt: item.createdAt as string,
    expiresAt: item.validUntil as string,
    ...(typeof item.lastUsedAt === 'string' ? { lastUsedAt: item.lastUsedAt } : {}),
    secretHash: item.secretHash as string,
  };
}
