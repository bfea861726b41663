import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TableContext, isConditionFailed, pageLimit } from './table-context';
import { MAX_SEQ, keys } from './table-schema';
import { ValidationError } from '../core/errors';
import { LogStore } from '../core/ports';
import { LogChunk } from '../core/types';

const ENTITY = 'log';
const DEFAULT_CHUNKS = 50;
const MAX_CHUNKS = 200;
/** Chunks stay well under DynamoDB's 400 KB item limit. */
export const MAX_CHUNK_BYTES = 64 * 1024;

/** Log chunks are immutable items keyed by sequence: appending never rewrites a growing item. */
export class DynamoLogStore implements LogStore {
  constructor(private readonly ctx: TableContext) {}

  async append(chunk: LogChunk, expiresAt?: number): Promise<'written' | 'duplicate'> {
    if (!Number.isInteger(chunk.seq) || chunk.seq < 0 || chunk.seq > MAX_SEQ) {
      throw new ValidationError([{ path: 'seq', message: `must be an integer from 0 to ${MAX_SEQ}` }]);
    }
    const size = Buffer.byteLength(JSON.stringify(chunk.lines));
    if (size > MAX_CHUNK_BYTES) {
      throw new ValidationError([{ path: 'lines', message: `chunk is ${size} bytes; split it below ${MAX_CHUNK_BYTES}` }]);
    }
    try {
      await this.ctx.doc.send(new PutCommand({
        TableName: this.ctx.tableName,
        Item: { ...keys.logChunk(chunk.deploymentId, chunk.seq), entity: ENTITY, ...chunk, expiresAt },
        ConditionExpression: 'attribute_not_exists(PK)',
      }));
      return 'written';
    } catch (error) {
      if (isConditionFailed(error)) return 'duplicate';
      throw error;
    }
  }

  async read(deploymentId: string, options: { afterSeq?: number; limit?: number } = {}): Promise<LogChunk[]> {
    const { PK, SK_PREFIX } = keys.logChunksOf(deploymentId);
    const after = options.afterSeq;
    // The sort key is a zero-padded string: a fraction or NaN would compare past real chunks.
    if (after !== undefined && !Number.isInteger(after)) {
      throw new ValidationError([{ path: 'afterSeq', message: 'must be an integer' }]);
    }
    const limit = pageLimit(options.limit, DEFAULT_CHUNKS, MAX_CHUNKS);
    const result = await this.ctx.doc.send(new QueryCommand({
      TableName: this.ctx.tableName,
      KeyConditionExpression: after === undefined ? 'PK = :pk AND begins_with(SK, :prefix)' : 'PK = :pk AND SK > :after',
      ExpressionAttributeValues: after === undefined
        ? { ':pk': PK, ':prefix': SK_PREFIX }
        : { ':pk': PK, ':after': keys.logChunk(deploymentId, after).SK },
      Limit: limit,
      ConsistentRead: true,
    }));
    return (result.Items ?? []).map(item => ({
      deploymentId: item.deploymentId as string,
      seq: item.seq as number,
      lines: item.lines as LogChunk['lines'],
    }));
  }
}
