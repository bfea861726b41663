import { duration } from '../dashboard/format';
import { PhaseOutcome, parsePhaseMarker } from '../runtime/core/phase-markers';
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

export interface LineOptions {
  /** Keep colours (SGR sequences): the output is a terminal. */
  readonly colour: boolean;
}

/** The line printed for one record (without the newline). */
export function recordLine(record: LogRecord, options: LineOptions): string {
  const marker = record.stream === 'system' ? parsePhaseMarker(record.text) : undefined;
  if (marker?.event === 'start') return phaseStartLine(marker.phase);
  if (marker) return phaseEndLine(marker.phase, marker.outcome ?? 'succeeded', marker.durationMs, marker.detail);
  return terminalText(record.text, options);
}

// One pass over escape sequences, whole (so no half of one is left behind), and single control
// characters: CSI (colours, cursor moves, screen clears; 7- and 8-bit), OSC (window titles,
// clipboard writes, hyperlinks), any other ESC sequence (a terminal reset), then a lone
// control character (a carriage return that overwrites, a backspace, a bell), tab excepted.
// eslint-disable-next-line no-control-regex
const ESCAPE_OR_CONTROL = /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]|(?:\u001b\]|\u009d)[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|\u001b[ -/]*[0-~]?|[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;
/** A colour or text style: the only sequence a log line may send to the terminal. */
// eslint-disable-next-line no-control-regex
const SGR = /^\u001b\[[0-9;]*m$/;
const RESET = '\u001b[0m';

/**
 * A build's text as it may reach the person's terminal: the build runs the app's code, so what
 * it prints must not move the cursor, rewrite earlier lines, set the window title or write the
 * clipboard. Colours stay when the output is a terminal; elsewhere (a file, CI) no escape stays.
 */
export function terminalText(text: string, options: LineOptions): string {
  let coloured = false;
  const cleaned = text.replace(ESCAPE_OR_CONTROL, sequence => {
    const kept = options.colour && SGR.test(sequence);
    coloured ||= kept;
    return kept ? sequence : '';
  });
  // A colour left on (the line was cut in two, the tool never reset it) ends with its line.
  return coloured ? `${cleaned}${RESET}` : cleaned;
}

/**
 * Text from the server on one line, as a table cell or a message shows it: names, reasons,
 * commit messages and actors are data anyone who can push or call the API chose, so no escape
 * sequence or control character of theirs reaches the terminal, and a newline becomes a space.
 */
export function oneLine(text: string): string {
  return terminalText(text.replace(/\s+/g, ' '), { colour: false });
}

/** A message of several lines (an error that lists problems) with each line cleaned as `oneLine`. */
export function plainLines(text: string): string {
  return text.split('\n').map(oneLine).join('\n');
}
