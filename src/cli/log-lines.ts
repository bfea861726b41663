import { duration } from '../runtime/core/durations';
import { PhaseOutcome, parsePhaseMarker } from '../runtime/core/phase-markers';
import { LineOptions, oneLine, terminalText } from '../runtime/core/terminal-text';
import { LogRecord } from '../runtime/core/types';

/**
 * How `trellis logs` prints a build's log: each record's text as the build wrote it, and the
 * builder's phase markers as one readable line when a phase starts and when it ends (the
 * dashboard's rule: only `system` lines are the builder's own, an app cannot forge a phase).
 */

/** Prefix of the lines that say where a phase starts and ends, so they stand out in a long log. */
export const PHASE_PREFIX = '==>';

/** `==> test`: a phase started. */
export function phaseStartLine(phase: string): string {
  return `${PHASE_PREFIX} ${oneLine(phase)}`;
}

/** `==> test failed in 1.2 s: 2 tests failed`: a phase ended. */
export function phaseEndLine(phase: string, outcome: PhaseOutcome | 'running', durationMs?: number, detail?: string): string {
  const took = durationMs === undefined || outcome === 'skipped' ? '' : ` in ${duration(durationMs)}`;
  return `${PHASE_PREFIX} ${oneLine(phase)} ${outcome}${took}${detail ? `: ${oneLine(detail)}` : ''}`;
}

export type { LineOptions } from '../runtime/core/terminal-text';
export { oneLine, plainLines } from '../runtime/core/terminal-text';

/** The line printed for one record (without the newline). */
export function recordLine(record: LogRecord, options: LineOptions): string {
  const marker = record.stream === 'system' ? parsePhaseMarker(record.text) : undefined;
  if (marker?.event === 'start') return phaseStartLine(marker.phase);
  if (marker) return phaseEndLine(marker.phase, marker.outcome ?? 'succeeded', marker.durationMs, marker.detail);
  return terminalText(record.text, options);
}
