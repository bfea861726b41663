import { logJson } from './json-log';
import { DEFAULT_LOG_RETENTION_DAYS, LOG_SETTINGS } from '../../contract/log-settings';
import { ApiGatewaySink } from '../aws/api-gateway-sink';
import { decodeSubscriptionEvent, isSubscriptionEvent } from '../aws/cloudwatch-logs';
import { isLiveLogBatch } from '../core/log-lines';
import { systemClock } from '../core/ports';
import { ingestArchived, ingestLive, refuseOtherPath } from '../logs/ingest-bound';
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
 * Two functions of this code, one store: the live one takes the builder's batches (invoked
 * directly by builds, every 200 ms), the archive one the build log group's subscription
 * deliveries (complete but seconds late); each refuses the other's events. Either path stores a
 * deployment's records only when they come from its own build.
 */
export async function handler(event: unknown): Promise<{ stored: number; next?: number; rejected?: true }> {
  const path = process.env[LOG_SETTINGS.ingestPath];
  if (isLiveLogBatch(event)) return path === 'live' ? ingestLive(event, deps) : refuseOtherPath(deps, 'live', path);
  if (isSubscriptionEvent(event)) {
    if (path !== 'archive') return refuseOtherPath(deps, 'archive', path);
    const { records, skipped, logStream } = decodeSubscriptionEvent(event);
    const result = await ingestArchived(records, logStream, deps);
    if (skipped > 0) logJson({ message: 'log group lines that are not build records', logStream, skipped });
    return { stored: result.stored };
  }
  logJson({ message: 'unknown event ignored' });
  return { stored: 0 };
}
