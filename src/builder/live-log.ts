import { errorMessage } from '../runtime/core/errors';
import { LIVE_FLUSH_MS, LiveLogBatch, MAX_LIVE_BATCH, liveLogBatch } from '../runtime/core/log-lines';
import { LogRecord } from '../runtime/core/types';

/** Delivers one batch (invokes the ingest function); rejects when it was not stored. */
export type SendLiveBatch = (batch: LiveLogBatch) => Promise<void>;

/**
 * A send the ingest function asked to repeat: the deployment has no task recorded yet (the
 * build's first lines raced the launcher), so it could neither store nor refuse the batch.
 */
export class SendAgainError extends Error {}

/** Waits before sending a batch again after a SendAgainError; then it counts as failed. */
export const SEND_AGAIN_DELAYS_MS: readonly number[] = [250, 500, 1000, 2000, 4000];

/** What the live path did; failed and dropped records reach the store through the archive path. */
export interface LiveLogStats {
  readonly sentBatches: number;
  readonly sentRecords: number;
  readonly failedBatches: number;
  readonly failedRecords: number;
  /** Never sent: pushed out of a full buffer, left over when close timed out, or added after close. */
  readonly droppedRecords: number;
  /** In a send that had not finished when close returned. */
  readonly unconfirmedRecords: number;
  /** Why the first failed batch failed. */
  readonly firstError?: string;
}

export interface LiveLogSenderOptions {
  readonly deploymentId: string;
  /** The deployment's ingest token (from the launcher), sent with every batch. */
  readonly ingestToken: string;
  readonly send: SendLiveBatch;
  /** @default LIVE_FLUSH_MS */
  readonly flushMs?: number;
  /** @default MAX_LIVE_BATCH */
  readonly maxBatch?: number;
  /**
   * Records kept while sends are slower than the build's output; beyond this the oldest
   * are dropped (the archive path delivers them).
   * @default 20 batches
   */
  readonly maxPending?: number;
  /** @default SEND_AGAIN_DELAYS_MS */
  readonly sendAgainDelaysMs?: readonly number[];
}

/**
 * The live path of a build's log: records are collected and sent in batches, at most one
 * batch in flight, each record within about `flushMs` of arriving unless a send is still
 * running. Best effort by design: a failed send is counted, not retried (only one the ingest
 * function asks to repeat is sent again, a few times), because the archive path (stdout → log group → subscription) delivers every record anyway and the
 * store keeps each seq once. Nothing here throws into the build or waits on the network.
 */
export class LiveLogSender {
  private readonly send: SendLiveBatch;
  private readonly flushMs: number;
  private readonly maxBatch: number;
  private readonly maxPending: number;
  private pending: LogRecord[] = [];
  /** When the oldest pending record is due (ms since epoch); undefined when nothing is pending. */
  private dueAt?: number;
  private timer?: NodeJS.Timeout;
  private inFlight?: Promise<void>;
  private closing = false;
  private closed = false;
  private stats: { -readonly [K in keyof LiveLogStats]: LiveLogStats[K] } = {
    sentBatches: 0, sentRecords: 0, failedBatches: 0, failedRecords: 0, droppedRecords: 0, unconfirmedRecords: 0,
  };
  private inFlightRecords = 0;

  constructor(private readonly options: LiveLogSenderOptions) {
    this.send = options.send;
    this.flushMs = options.flushMs ?? LIVE_FLUSH_MS;
    this.maxBatch = Math.max(1, Math.min(options.maxBatch ?? MAX_LIVE_BATCH, MAX_LIVE_BATCH));
    this.maxPending = Math.max(options.maxPending ?? 20 * this.maxBatch, this.maxBatch);
  }

  /** Queue a record; returns at once. */
  add(record: LogRecord): void {
    if (this.closed) {
      this.stats.droppedRecords += 1;
      return;
    }
    if (this.pending.length === 0) this.dueAt = Date.now() + this.flushMs;
    this.pending.push(record);
    if (this.pending.length > this.maxPending) {
      // The oldest reach the archive first. A batch at a time, so a flood stays cheap per line.
      this.pending.splice(0, this.maxBatch);
      this.stats.droppedRecords += this.maxBatch;
    }
    this.pump();
  }

  /**
   * Send what is left and wait for it, at most `timeoutMs`; whatever is unsent then is
   * dropped. Never rejects. Records added afterwards are only counted.
   */
  async close(timeoutMs: number): Promise<LiveLogStats> {
    this.closing = true;
    this.clearTimer();
    let timeout: NodeJS.Timeout | undefined;
    const drained = (async () => {
      while (!this.closed && (this.inFlight || this.pending.length > 0)) {
        this.pump();
        await this.inFlight;
      }
    })();
    const expired = new Promise<void>(resolve => { timeout = setTimeout(resolve, timeoutMs); });
    await Promise.race([drained, expired]);
    clearTimeout(timeout);
    this.closed = true;
    this.stats.unconfirmedRecords = this.inFlight ? this.inFlightRecords : 0;
    this.stats.droppedRecords += this.pending.length;
    this.pending = [];
    this.dueAt = undefined;
    return this.snapshot();
  }

  /** Counts so far. */
  snapshot(): LiveLogStats {
    return { ...this.stats };
  }

  /** Send the next batch if one is due and nothing is in flight; otherwise wait for the timer or the send. */
  private pump(): void {
    if (this.closed || this.inFlight || this.pending.length === 0) return;
    const wait = this.closing || this.pending.length >= this.maxBatch ? 0 : this.dueAt! - Date.now();
    if (wait > 0) {
      if (!this.timer) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, wait);
        // The build's exit never waits for a flush timer (close() flushes what is left).
        this.timer.unref();
      }
      return;
    }
    this.clearTimer();
    const records = this.pending.splice(0, this.maxBatch);
    // What stays behind keeps the due time of the oldest record (none of it is older).
    if (this.pending.length === 0) this.dueAt = undefined;
    this.inFlightRecords = records.length;
    this.inFlight = this.deliver(records).then(() => {
      this.inFlight = undefined;
      this.pump();
    });
  }

  private async deliver(records: readonly LogRecord[]): Promise<void> {
    const batch = liveLogBatch(this.options.deploymentId, this.options.ingestToken, records);
    const delays = this.options.sendAgainDelaysMs ?? SEND_AGAIN_DELAYS_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.send(batch);
        this.stats.sentBatches += 1;
        this.stats.sentRecords += records.length;
        return;
      } catch (error) {
        if (error instanceof SendAgainError && attempt < delays.length && !this.closed) {
          await new Promise<void>(resolve => setTimeout(resolve, delays[attempt]).unref());
          if (!this.closed) continue;
        }
        this.stats.failedBatches += 1;
        this.stats.failedRecords += records.length;
        this.stats.firstError ??= errorMessage(error);
        return;
      }
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
