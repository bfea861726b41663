import { LogRecord } from './types';

/**
 * The client's side of ordering: records arrive from the backlog and the live path in any
 * order and possibly twice; `accept` hands on each seq exactly once, in order, with no gap.
 */
export class LogAssembler {
  private readonly early = new Map<number, LogRecord>();

  /** `next` = the first seq wanted (where the client subscribed from). */
  constructor(private nextSeq = 0) {}

  /** The seq the log waits for. */
  get next(): number {
    return this.nextSeq;
  }

  /** True while records after a missing one are waiting. */
  get hasGap(): boolean {
    return this.early.size > 0;
  }

  /** Takes what arrived; returns the records that are now in order, each seq once. */
  accept(records: readonly LogRecord[]): LogRecord[] {
    for (const record of records) {
      if (record.seq >= this.nextSeq && !this.early.has(record.seq)) this.early.set(record.seq, record);
    }
    const ready: LogRecord[] = [];
    for (let record = this.early.get(this.nextSeq); record; record = this.early.get(this.nextSeq)) {
      this.early.delete(this.nextSeq);
      ready.push(record);
      this.nextSeq++;
    }
    return ready;
  }
}
