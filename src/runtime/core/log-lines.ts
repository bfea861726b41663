import { LogRecord, LogStream } from './types';

/**
 * How a build's log travels, in one place: the builder prints one JSON object per line
 * (the log group keeps them as the archive, the subscription filter forwards them) and
 * sends the same records in live batches to the ingest function.
 */

/** Longest text of one line; the builder cuts longer output into several lines. */
export const MAX_LOG_TEXT = 4096;
/** Records per live batch, so one invocation payload stays far below Lambda's 6 MB. */
export const MAX_LIVE_BATCH = 1000;
/** The builder sends what it has at least this often while lines arrive. */
export const LIVE_FLUSH_MS = 200;

const STREAMS: readonly LogStream[] = ['stdout', 'stderr', 'system'];

/** A line as printed by the builder: self-describing, so Logs Insights can query it too. */
export interface BuildLogLine {
  readonly deployment: string;
  readonly seq: number;
  readonly at: string;
  readonly stream: LogStream;
  readonly text: string;
}

export function formatBuildLogLine(deploymentId: string, record: LogRecord): string {
  const line: BuildLogLine = { deployment: deploymentId, seq: record.seq, at: record.at, stream: record.stream, text: record.text };
  return JSON.stringify(line);
}

/** The record on a log group line, or undefined for anything else (an ECS agent line, a crash dump). */
export function parseBuildLogLine(message: string): { deploymentId: string; record: LogRecord } | undefined {
  if (!message.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(message) as Partial<BuildLogLine>;
    const record = { seq: value.seq, at: value.at, stream: value.stream, text: value.text };
    if (typeof value.deployment !== 'string' || !isRecord(record)) return undefined;
    return { deploymentId: value.deployment, record };
  } catch {
    return undefined;
  }
}

/**
 * The live path's payload: the builder invokes the ingest function with this. The records are
 * stored only when `ingestToken` is the deployment's (the one its task was started with).
 */
export interface LiveLogBatch {
  readonly kind: 'trellis-log-batch';
  readonly deploymentId: string;
  /** Missing or wrong in a forged batch, which is then dropped (and counted). */
  readonly ingestToken?: string;
  readonly records: readonly LogRecord[];
}

export function liveLogBatch(deploymentId: string, ingestToken: string, records: readonly LogRecord[]): LiveLogBatch {
  return { kind: 'trellis-log-batch', deploymentId, ingestToken, records };
}

/** A batch's shape; whether its token is the deployment's is the ingest function's check. */
export function isLiveLogBatch(value: unknown): value is LiveLogBatch {
  const batch = value as Partial<LiveLogBatch> | undefined;
  return batch?.kind === 'trellis-log-batch' && typeof batch.deploymentId === 'string' && Array.isArray(batch.records)
    && (batch.ingestToken === undefined || typeof batch.ingestToken === 'string');
}

/**
 * The error type the ingest function fails a live batch with when the deployment has no task
 * recorded yet (the batch raced the launcher's attachTask): the builder sends it again.
 */
export const LOG_BINDING_PENDING = 'LogBindingPendingError';

/** A well-formed record: anything else is dropped before it reaches the store. */
export function isRecord(value: unknown): value is LogRecord {
  const record = value as Partial<LogRecord> | undefined;
  return Number.isSafeInteger(record?.seq) && (record!.seq as number) >= 0
    && typeof record!.at === 'string' && !Number.isNaN(Date.parse(record!.at))
    && STREAMS.includes(record!.stream as LogStream)
    && typeof record!.text === 'string' && record!.text.length <= MAX_LOG_TEXT;
}
