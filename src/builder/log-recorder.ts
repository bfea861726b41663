import { LineWriter, cutText } from './output';
import { BUILD_PARAMETERS } from '../contract/build-environment';
import { isDeploymentId } from '../runtime/core/deployment-ids';
import { MAX_LOG_TEXT, formatBuildLogLine } from '../runtime/core/log-lines';
import { Clock } from '../runtime/core/ports';
import { LogRecord, LogStream } from '../runtime/core/types';

/** Takes each record as it is made (the live path). Must return at once and never throw. */
export interface RecordListener {
  add(record: LogRecord): void;
}

/** The deployment id a log record carries when the builder was started without a valid one. */
export const UNKNOWN_DEPLOYMENT = 'unknown';

/**
 * Every line the builder writes becomes a LogRecord: the next seq (from 0, no gaps), the
 * time, its stream. The record is printed as one JSON line to `sink` (stdout: the log group
 * keeps it, the subscription forwards it) and handed to the live path.
 */
export class LogRecorder implements LineWriter {
  private next = 0;

  constructor(
    readonly deploymentId: string,
    private readonly sink: (line: string) => void,
    private readonly clock: Clock,
    private readonly live?: RecordListener,
  ) {}

  /** How many records have been written (the next seq). */
  get count(): number {
    return this.next;
  }

  write(line: string, stream: LogStream): void {
    // The Reporter keeps lines short; this is the last guard, because a record longer than
    // MAX_LOG_TEXT would be refused by the store and leave a gap that stalls the log.
    for (const text of line.length <= MAX_LOG_TEXT ? [line] : cutText(line, MAX_LOG_TEXT)) {
      const record: LogRecord = { seq: this.next, at: this.clock.now().toISOString(), stream, text };
      this.sink(formatBuildLogLine(this.deploymentId, record));
      this.next += 1;
      try {
        this.live?.add(record);
      } catch {
        // The live path is best effort; the printed line is the record of truth.
      }
    }
  }
}

/** The deployment id for the log's records: the build parameter when it is one, else 'unknown'. */
export function logDeploymentId(env: Readonly<Record<string, string | undefined>>): string {
  const value = env[BUILD_PARAMETERS.deploymentId];
  return value !== undefined && isDeploymentId(value) ? value : UNKNOWN_DEPLOYMENT;
}
