import { logJson } from './json-log';
import { ApiGatewaySink } from '../aws/api-gateway-sink';
import { decodeSubscriptionEvent, isSubscriptionEvent } from '../aws/cloudwatch-logs';
import { LiveLogBatch, isLiveLogBatch } from '../core/log-lines';
import { systemClock } from '../core/ports';
import { ingestArchived, ingestLogs } from '../logs/ingest-logs';
import { DEFAULT_LOG_RETENTION_DAYS, LOG_SETTINGS } from '../logs/settings';
import { createDynamoStore } from '../store/dynamo-store';
import { tableContext } from '../store/table-context';

const deps = {
  store: createDynamoStore(tableContext(process.env[LOG_SETTINGS.tableName]!)),
  sink: new ApiGatewaySink(process.env[LOG_SETTINGS.connectionsEndpoint]!),
  clock: systemClock,
  retentionDays: Number(process.env[LOG_SETTINGS.retentionDays] ?? DEFAULT_LOG_RETENTION_DAYS),
  log: logJson,
};

/**
 * Two callers, one store: the builder's live batches (invoked directly, every 200 ms) and
 * the build log group's subscription filter (the archive path, complete but seconds late).
 */
export async function handler(event: unknown): Promise<{ stored: number; next?: number }> {
  if (isLiveLogBatch(event)) {
    const batch: LiveLogBatch = event;
    const result = await ingestLogs(batch.deploymentId, batch.records, deps);
    return { stored: result.stored.length, next: result.next };
  }
  if (isSubscriptionEvent(event)) {
    const { records, skipped, logStream } = decodeSubscriptionEvent(event);
    const result = await ingestArchived(records, deps);
    if (skipped > 0) logJson({ message: 'log group lines that are not build records', logStream, skipped });
    return { stored: result.stored };
  }
  logJson({ message: 'unknown event ignored' });
  return { stored: 0 };
}
