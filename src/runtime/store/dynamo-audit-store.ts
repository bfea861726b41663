import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { decodeCursor, encodeCursor } from './cursor';
import { TableContext, pageLimit, withoutKeys } from './table-context';
import { PARTITION_KEY, SORT_KEY, keys } from '../../contract/table-schema';
import { AuditEntryView } from '../core/api-types';
import { AuditListOptions, AuditStore } from '../core/ports';
import { Page } from '../core/types';

const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;
/** Items read per query while filtering: a filter that matches rarely still fills a page in few reads. */
const FILTER_BATCH = 200;
/** At most this many items are read for one page: a rare match answers a partial page and a cursor, never a long request. */
const MAX_EXAMINED = 5000;
const KEY_NAMES = [PARTITION_KEY, SORT_KEY];

/**
 * The audit trail: one partition per application (`AUDIT#<app>`), sort key `<at>#<id>`, so the
 * newest entries come first when the partition is read backwards. Filters are applied while
 * paging (not as a FilterExpression), so a page holds `limit` matches unless the trail ends.
 */
export class DynamoAuditStore implements AuditStore {
  constructor(private readonly ctx: TableContext) {}

  async record(entry: AuditEntryView, expiresAt: number): Promise<void> {
    await this.ctx.doc.send(new PutCommand({
      TableName: this.ctx.tableName,
      Item: { ...keys.auditEntry(entry.application, entry.at, entry.id), entity: 'audit', ...entry, expiresAt },
      ConditionExpression: 'attribute_not_exists(PK)',
    }));
  }

  async list(application: string, options: AuditListOptions = {}): Promise<Page<AuditEntryView>> {
    const { PK } = keys.auditTrail(application);
    const limit = pageLimit(options.limit, DEFAULT_PAGE, MAX_PAGE);
    const filtered = options.action !== undefined || options.actor !== undefined || options.environment !== undefined;
    const matches = (entry: AuditEntryView) => (options.action === undefined || entry.action === options.action)
      && (options.actor === undefined || entry.actor === options.actor)
      && (options.environment === undefined || entry.environment === options.environment);
    let start = decodeCursor(options.cursor, { PK }, KEY_NAMES);
    const items: AuditEntryView[] = [];
    let examined = 0;
    for (;;) {
      const page = await this.ctx.doc.send(new QueryCommand({
        TableName: this.ctx.tableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': PK },
        ScanIndexForward: false,
        Limit: filtered ? FILTER_BATCH : limit - items.length,
        ExclusiveStartKey: start,
      }));
      for (const item of page.Items ?? []) {
        examined++;
        const entry = withoutKeys<AuditEntryView>(item);
        if (!matches(entry)) continue;
        items.push(entry);
        if (items.length === limit) return { items, cursor: encodeCursor({ [PARTITION_KEY]: item[PARTITION_KEY], [SORT_KEY]: item[SORT_KEY] }) };
      }
      if (!page.LastEvaluatedKey) return { items };
      start = page.LastEvaluatedKey;
      if (examined >= MAX_EXAMINED) return { items, cursor: encodeCursor(start) };
    }
  }
}
