import { Masker } from './masking';
import { MAX_LOG_TEXT } from '../runtime/core/log-lines';

/**
 * Turns a child's output chunks into whole lines, so a secret split across two chunks is
 * still masked as one. A line longer than the limit is cut where no secret straddles the cut.
 */
export class LineSplitter {
  private buffer = '';

  constructor(
    private readonly emit: (line: string) => void,
    private readonly masker: Masker,
    /** Longest line passed on: the longest text of one log record. */
    private readonly maxLength = MAX_LOG_TEXT,
  ) {}

  push(chunk: string): void {
    this.buffer += chunk;
    let newline = this.buffer.indexOf('\n');
    while (newline >= 0) {
      this.emitLine(this.buffer.slice(0, newline));
      this.buffer = this.buffer.slice(newline + 1);
      newline = this.buffer.indexOf('\n');
    }
    while (this.buffer.length > this.maxLength) {
      const cut = this.masker.safeCut(this.buffer, this.maxLength);
      if (cut === 0) break;
      this.emit(this.buffer.slice(0, cut));
      this.buffer = this.buffer.slice(cut);
    }
  }

  /** The last line, when the output did not end with a newline. */
  end(): void {
    if (this.buffer.length > 0) this.emitLine(this.buffer);
    this.buffer = '';
  }

  private emitLine(line: string): void {
    // A line pushed in one piece can still be longer than the limit.
    let rest = line.endsWith('\r') ? line.slice(0, -1) : line;
    while (rest.length > this.maxLength) {
      const cut = this.masker.safeCut(rest, this.maxLength, false);
      this.emit(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    this.emit(rest);
  }
}
