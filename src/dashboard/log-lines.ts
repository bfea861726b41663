import { duration } from './format';
import { parsePhaseMarker } from '../runtime/core/phase-markers';
import { LogRecord, LogStream } from '../runtime/core/types';

/** A log record as the log view shows and searches it. */
export interface LogLineView {
  readonly seq: number;
  readonly at: string;
  readonly stream: LogStream;
  readonly text: string;
  /** `text` lowercased, same length, for case-insensitive search and highlighting. */
  readonly lower: string;
  /** A phase marker of the builder, shown as a heading line. */
  readonly marker: boolean;
}

// CSI and OSC sequences: colours and cursor moves from tools that think they write to a terminal.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

export function toLogLine(record: LogRecord): LogLineView {
  const marker = record.stream === 'system' ? parsePhaseMarker(record.text) : undefined;
  let text = record.text.replace(ANSI, '');
  if (marker) {
    text = marker.event === 'start'
      ? `▶ ${marker.phase}`
      : `■ ${marker.phase} ${marker.outcome ?? 'succeeded'}${marker.durationMs === undefined ? '' : ` in ${duration(marker.durationMs)}`}`;
    if (marker.detail) text += ` — ${marker.detail}`;
  }
  return { seq: record.seq, at: record.at, stream: record.stream, text, lower: lowerSameLength(text), marker: marker !== undefined };
}

function lowerSameLength(text: string): string {
  const lower = text.toLowerCase();
  if (lower.length === text.length) return lower;
  // A few characters lowercase to two code units (İ): keep those as they are.
  return Array.from(text, char => (char.toLowerCase().length === char.length ? char.toLowerCase() : char)).join('');
}
