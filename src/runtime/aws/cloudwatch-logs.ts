import { gunzipSync } from 'zlib';
import type { CloudWatchLogsDecodedData, CloudWatchLogsEvent } from 'aws-lambda';
import { parseBuildLogLine } from '../core/log-lines';
import { LogRecord } from '../core/types';

export function isSubscriptionEvent(event: unknown): event is CloudWatchLogsEvent {
  return typeof (event as CloudWatchLogsEvent | undefined)?.awslogs?.data === 'string';
}

/**
 * A subscription filter delivery (base64 of gzip of JSON) → the build log records in it.
 * CONTROL_MESSAGE deliveries (CloudWatch checking the destination) and lines that are not
 * records give nothing.
 */
export function decodeSubscriptionEvent(event: CloudWatchLogsEvent): {
  records: Array<{ deploymentId: string; record: LogRecord }>;
  skipped: number;
  logStream: string;
} {
  const data = JSON.parse(gunzipSync(Buffer.from(event.awslogs.data, 'base64')).toString('utf8')) as CloudWatchLogsDecodedData;
  if (data.messageType !== 'DATA_MESSAGE') return { records: [], skipped: 0, logStream: data.logStream };
  const records: Array<{ deploymentId: string; record: LogRecord }> = [];
  let skipped = 0;
  for (const logEvent of data.logEvents) {
    const parsed = parseBuildLogLine(logEvent.message);
    if (parsed) records.push(parsed);
    else skipped++;
  }
  return { records, skipped, logStream: data.logStream };
}
