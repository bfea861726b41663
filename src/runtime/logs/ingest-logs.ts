import { FanOutDeps, fanOut } from './fan-out';
import { maskCredentials } from '../core/credential-patterns';
import { isRecord } from '../core/log-lines';
import { Clock, LogIngestResult } from '../core/ports';
import { LogRecord } from '../core/types';

export interface LogIngestDeps extends FanOutDeps {
  readonly clock: Clock;
  /** Stored log chunks expire this many days after they are written. */
  readonly retentionDays: number;
}

/**
 * One path's records for one deployment, already known to be its build's (ingest-bound.ts;
 * local mode: the runner's own child): malformed ones dropped, credentials masked
 * (second line of defense: the builder masks first), stored once each in order, and what
 * was stored sent to the live subscribers.
 */
export async function ingestLogs(deploymentId: string, records: readonly unknown[], deps: LogIngestDeps): Promise<LogIngestResult> {
  const valid = records.filter(isRecord);
  if (valid.length < records.length) {
    deps.log({ message: 'malformed log records dropped', deployment: deploymentId, dropped: records.length - valid.length });
  }
  const masked: LogRecord[] = valid.map(record => ({ seq: record.seq, at: record.at, stream: record.stream, text: maskCredentials(record.text) }));
  const expiresAt = Math.floor(deps.clock.now().getTime() / 1000) + deps.retentionDays * 24 * 60 * 60;
  const result = await deps.store.logs.ingest(deploymentId, masked, { expiresAt });
  if (result.stored.length > 0) await fanOut(deploymentId, result.stored, deps);
  return result;
}
