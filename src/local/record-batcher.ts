import { LogRecord } from '../runtime/core/types';

export interface RecordBatcherOptions {
  readonly flushMs: number;
  readonly maxBatch: number;
  /** Waiting records beyond which `pressure(true)` asks the source to pause; `pressure(false)` below half of it. */
  readonly maxPending: number;
  /** One call at a time; records in seq order across calls. Must not throw. */
  readonly deliver: (records: readonly LogRecord[]) => Promise<void>;
  /** True when too many records wait, false when they are down again. */
  readonly pressure: (high: boolean) => void;
}

/**
 * Records to batches: a batch goes when it is full or its first record waited `flushMs`;
 * while one is being delivered the next gathers (one batch in flight, order kept).
 */
export class RecordBatcher {
  private pending: LogRecord[] = [];
  private timer?: NodeJS.Timeout;
  private pumping?: Promise<void>;
  private high = false;

  constructor(private readonly options: RecordBatcherOptions) {}

  /** True while the source is asked to pause (too many records wait). */
  get paused(): boolean {
    return this.high;
  }

  add(record: LogRecord): void {
    this.pending.push(record);
    if (!this.high && this.pending.length >= this.options.maxPending) {
      this.high = true;
      this.options.pressure(true);
    }
    if (this.pumping) return; // the running pump takes it
    if (this.pending.length >= this.options.maxBatch) this.pump();
    else this.timer ??= setTimeout(() => this.pump(), this.options.flushMs);
  }

  /** Deliver everything added so far. */
  async drain(): Promise<void> {
    if (!this.pumping) this.pump();
    await this.pumping;
  }

  private pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pumping || this.pending.length === 0) return;
    this.pumping = (async () => {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, this.options.maxBatch);
        if (this.high && this.pending.length < this.options.maxPending / 2) {
          this.high = false;
          this.options.pressure(false);
        }
        await this.options.deliver(batch);
      }
      this.pumping = undefined;
    })();
  }
}
