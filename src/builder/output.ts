import { Masker } from './masking';
import { MAX_LOG_TEXT } from '../runtime/core/log-lines';
import { PHASE_MARKER_PREFIX, PhaseMarker, formatPhaseMarker } from '../runtime/core/phase-markers';
import { LogStream } from '../runtime/core/types';

/** A command's own output streams; the builder's phase markers go to 'system'. */
export type OutputStream = Exclude<LogStream, 'system'>;

/** Where the builder's output goes: numbered log records on stdout in the container, a buffer in tests. */
export interface LineWriter {
  write(line: string, stream: LogStream): void;
}

/**
 * The only way out for text: every line is masked, and a line that merely looks like a
 * phase marker is escaped so an app cannot forge phases on the dashboard.
 */
export class Reporter {
  constructor(private readonly writer: LineWriter, readonly masker: Masker) {}

  /** A line (or several) of the builder's own or a child's output. */
  line(text: string, stream: OutputStream = 'stdout'): void {
    for (const part of text.split(/\r?\n/)) {
      const masked = this.masker.mask(part);
      const escape = (piece: string) => (piece.startsWith(PHASE_MARKER_PREFIX) ? `\\${piece}` : piece);
      const whole = escape(masked);
      // One record per line where it fits; else pieces with room for an escape, each escaped on its own.
      const pieces = whole.length <= MAX_LOG_TEXT ? [whole] : cutText(masked, MAX_LOG_TEXT - 1).map(escape);
      for (const piece of pieces) this.writer.write(piece, stream);
    }
  }

  /** A phase boundary, on the 'system' stream and always on one log line (a long detail is shortened). */
  marker(marker: PhaseMarker): void {
    let detail = marker.detail === undefined ? undefined : this.masker.mask(marker.detail).replace(/\s+/g, ' ');
    let line = formatPhaseMarker({ ...marker, detail });
    while (line.length > MAX_LOG_TEXT && detail !== undefined && detail.length > 1) {
      // JSON escapes can make the detail longer on the line than in the string: shrink until it fits.
      detail = `${shorten(detail, detail.length - (line.length - MAX_LOG_TEXT) - 1)}…`;
      line = formatPhaseMarker({ ...marker, detail });
    }
    this.writer.write(line, 'system');
  }
}

/** `text` in pieces of at most `max` characters, never cut through a surrogate pair. */
export function cutText(text: string, max: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const piece = shorten(rest, max);
    pieces.push(piece);
    rest = rest.slice(piece.length);
  }
  pieces.push(rest);
  return pieces;
}

/** The first `length` characters, without half a surrogate pair at the end. */
function shorten(text: string, length: number): string {
  let end = Math.max(Math.min(length, text.length), 0);
  if (end > 1 && end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
  return text.slice(0, end);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
