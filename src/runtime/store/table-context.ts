import { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, QueryCommandInput } from '@aws-sdk/lib-dynamodb';

/** What every store module needs: a document client and the table name. */
export interface TableContext {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
}

export function tableContext(tableName: string, config: DynamoDBClientConfig = {}): TableContext {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return { doc, tableName };
}

export function isConditionFailed(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return name === 'ConditionalCheckFailedException' || name === 'TransactionCanceledException';
}

/** Every item of a query, following LastEvaluatedKey; for small partitions only. */
export async function queryAll(ctx: TableContext, input: Omit<QueryCommandInput, 'TableName'>): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await ctx.doc.send(new QueryCommand({ ...input, TableName: ctx.tableName, ExclusiveStartKey }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

/** Strip the key and bookkeeping attributes before handing an item to core. */
export function withoutKeys<T>(item: Record<string, unknown>): T {
  const { PK, SK, GSI1PK, GSI1SK, entity, expiresAt, ...rest } = item;
  return rest as T;
}

/** A page size within [1, max]; anything that is not a finite number means `fallback`. */
export function pageLimit(requested: number | undefined, fallback: number, max: number): number {
  const value = requested !== undefined && Number.isFinite(requested) ? Math.floor(requested) : fallback;
  return Math.min(Math.max(value, 1), max);
}

/** After losing a race for an item: a short, growing, jittered wait, so racers spread out. */
export function backOff(attempt: number, capMs = 100): Promise<void> {
  const ms = Math.random() * Math.min(2 ** attempt, capMs);
  return new Promise(resolve => setTimeout(resolve, ms));
}
