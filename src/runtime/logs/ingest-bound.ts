import { LogIngestDeps, ingestLogs } from './ingest-logs';
import { NotFoundError, ValidationError } from '../core/errors';
import { ingestTokenMatches, logStreamTaskId, taskIdOf } from '../core/ingest-token';
import { LOG_BINDING_PENDING, LiveLogBatch } from '../core/log-lines';
import { METRIC_NAMES, METRIC_NAMESPACE, metricRecord } from '../core/metrics';
import { LogRecord } from '../core/types';

/**
 * A deployment's records are stored only when they come from its own build: a live batch
 * with the deployment's ingest token, archived lines from the log stream of the deployment's
 * task. Anything else is dropped and counted (a log line and the ForgedLogRecords metric),
 * without an error: a retry would be refused the same way.
 */

/** The metric namespace and name of dropped forged records (Embedded Metric Format, so free while idle). */
export const FORGED_METRIC = { namespace: METRIC_NAMESPACE, name: METRIC_NAMES.forgedLogRecords } as const;

/** The deployment has no task recorded yet: its records are neither stored nor refused; send them again. */
export class LogBindingPendingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = LOG_BINDING_PENDING;
  }
}

export interface LiveIngestResult {
  readonly stored: number;
  readonly next?: number;
  /** The batch was not the deployment's build's: nothing was stored. */
  readonly rejected?: true;
}

/**
 * A live batch: stored when its token hashes to the one recorded with the deployment's task.
 * Throws LogBindingPendingError while the running deployment has no task recorded (the batch
 * raced the launcher), so the builder sends it again.
 */
export async function ingestLive(batch: LiveLogBatch, deps: LogIngestDeps): Promise<LiveIngestResult> {
  const dropped = () => {
    forgedRecords(deps, { path: 'live', deployment: batch.deploymentId, dropped: batch.records.length });
    return { stored: 0, rejected: true } as const;
  };
  if (typeof batch.ingestToken !== 'string' || batch.ingestToken === '') return dropped();
  const binding = await deps.store.deployments.logBinding(batch.deploymentId);
  if (binding && binding.ingestTokenHash === undefined && binding.status === 'running') {
    throw new LogBindingPendingError(`deployment ${batch.deploymentId} has no task recorded yet; send the batch again`);
  }
  if (!binding || !ingestTokenMatches(batch.ingestToken, binding.ingestTokenHash)) return dropped();
  const result = await ingestLogs(batch.deploymentId, batch.records, deps);
  return { stored: result.stored.length, next: result.next };
}

/**
 * Log group lines (the archive path) of one log stream: a deployment's lines are stored when
 * the stream is its task's (`build/builder/<task id>`). Lines that are not records were skipped
 * before; lines of a deployment that no longer exists (or that break a rule) are logged and
 * skipped, so one bad stream does not make the whole delivery retry forever. Lines of a running
 * deployment with no task recorded yet are left for a redelivery: after the others are stored,
 * LogBindingPendingError fails the delivery, which CloudWatch Logs retries.
 */
export async function ingestArchived(
  lines: ReadonlyArray<{ readonly deploymentId: string; readonly record: LogRecord }>,
  logStream: string,
  deps: LogIngestDeps,
): Promise<{ deployments: number; stored: number; dropped: number }> {
  const byDeployment = new Map<string, LogRecord[]>();
  for (const { deploymentId, record } of lines) {
    const list = byDeployment.get(deploymentId) ?? [];
    list.push(record);
    byDeployment.set(deploymentId, list);
  }
  const streamTask = logStreamTaskId(logStream);
  let stored = 0;
  let dropped = 0;
  const pending: string[] = [];
  for (const [deploymentId, records] of byDeployment) {
    const binding = await deps.store.deployments.logBinding(deploymentId);
    if (!binding) {
      deps.log({ message: 'log lines skipped', deployment: deploymentId, lines: records.length, reason: `deployment ${deploymentId} does not exist` });
      continue;
    }
    if (binding.taskId === undefined && binding.status === 'running') {
      pending.push(deploymentId);
      continue;
    }
    // Only a running deployment gets a task: one without by now never has a stream of its own.
    if (binding.taskId === undefined || streamTask === undefined || taskIdOf(binding.taskId) !== streamTask) {
      forgedRecords(deps, { path: 'archive', deployment: deploymentId, dropped: records.length, logStream });
      dropped += records.length;
      continue;
    }
    try {
      stored += (await ingestLogs(deploymentId, records, deps)).stored.length;
    } catch (error) {
      // Retrying would fail the same way and hold up every other deployment's lines.
      if (!(error instanceof NotFoundError || error instanceof ValidationError)) throw error;
      deps.log({ message: 'log lines skipped', deployment: deploymentId, lines: records.length, reason: error.message });
    }
  }
  if (pending.length > 0) {
    throw new LogBindingPendingError(`${logStream}: deployment ${pending.join(', ')} has no task recorded yet; deliver the lines again`);
  }
  return { deployments: byDeployment.size, stored, dropped };
}

/**
 * An event of one path sent to the function of the other. Each path has its own function: builds
 * may invoke only the live one, and only CloudWatch Logs the archive one, so an archive-shaped
 * event at the live function is a build naming any log stream it likes. Dropped and counted.
 */
export function refuseOtherPath(deps: Pick<LogIngestDeps, 'log' | 'clock'>, sent: 'live' | 'archive', accepted: string | undefined): LiveIngestResult {
  forgedRecords(deps, { path: sent, deployment: `(a ${sent} event at the ${accepted ?? 'unconfigured'} ingest function)`, dropped: 1 });
  return { stored: 0, rejected: true };
}

/** One log line that is also an Embedded Metric Format record: CloudWatch counts it as ForgedLogRecords. */
function forgedRecords(
  deps: Pick<LogIngestDeps, 'log' | 'clock'>,
  entry: { path: 'live' | 'archive'; deployment: string; dropped: number; logStream?: string },
): void {
  deps.log(metricRecord({
    timestamp: deps.clock.now().getTime(),
    metrics: [{ name: FORGED_METRIC.name, unit: 'Count', value: entry.dropped }],
    dimensions: {},
    dimensionSets: [[]],
    // Whatever the forger wrote there, cut short.
    properties: { message: 'forged log records dropped', ...entry, deployment: entry.deployment.slice(0, 64) },
  }));
}
