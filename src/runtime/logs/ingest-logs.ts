import { FanOutDeps, fanOut } from './fan-out';
import { maskCredentials } from '../core/credential-patterns';
import { NotFoundError, ValidationError } from '../core/errors';
import { isRecord } from '../core/log-lines';
import { Clock, LogIngestResult } from '../core/ports';
import { LogRecord } from '../core/types';

export interface LogIngestDeps extends FanOutDeps {
  readonly clock: Clock;
  /** Stored log chunks expire this many days after they are written. */
  readonly retentionDays: number;
}

/**
 * One path's records for one deployment: malformed ones dropped, credentials masked
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

/**
 * Log group lines (the archive path) of any number of deployments. Lines that are not
 * records are skipped; lines of a deployment that no longer exists (or that break a rule)
 * are logged and skipped, so one bad stream does not make the whole delivery retry forever.
 */
export async function ingestArchived(
  lines: ReadonlyArray<{ readonly deploymentId: string; readonly record: LogRecord }>,
  deps: LogIngestDeps,
): Promise<{ deployments: number; stored: number }> {
  const byDeployment = new Map<string, LogRecord[]>();
  for (const { deploymentId, record } of lines) {
    const list = byDeployment.get(deploymentId) ?? [];
    list.push(record);
    byDeployment.set(deploymentId, list);
  }
  let stored = 0;
  for (const [deploymentId, records] of byDeployment) {
    try {
      stored += (await ingestLogs(deploymentId, records, deps)).stored.length;
    } catch (error) {
      // Retrying would fail the same way and hold up every other deployment's lines.
      if (!(error instanceof NotFoundError || error instanceof ValidationError)) throw error;
      deps.log({ message: 'log lines skipped', deployment: deploymentId, lines: records.length, reason: error.message });
    }
  }
  return { deployments: byDeployment.size, stored };
}
