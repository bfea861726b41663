/**
 * The phase-marker lines between the builder program (which prints them) and LogStream and the
 * dashboard (which turn a build's output into phases). One definition, shared by all.
 */

export type BuildPhase =
  'prepare' | 'fetch-artifact' | 'clone' | 'detect' | 'restore-cache' | 'install' | 'save-cache' | 'test' | 'build' | 'deploy'
  | 'save-artifact' | 'remove' | 'health';

export type PhaseOutcome = 'succeeded' | 'failed' | 'skipped';

/** One line of builder output that marks a phase boundary. */
export interface PhaseMarker {
  readonly phase: BuildPhase;
  readonly event: 'start' | 'end';
  /** ISO timestamp. */
  readonly at: string;
  /** On `end`. */
  readonly outcome?: PhaseOutcome;
  readonly durationMs?: number;
  /** Short human text: detected framework, why it failed, why it was skipped. */
  readonly detail?: string;
}

export const PHASE_MARKER_PREFIX = '::trellis-phase::';

export function formatPhaseMarker(marker: PhaseMarker): string {
  return `${PHASE_MARKER_PREFIX}${JSON.stringify(marker)}`;
}

/** Phases in the order a build runs them. */
export const BUILD_PHASES: readonly BuildPhase[] = [
  'prepare', 'fetch-artifact', 'clone', 'detect', 'restore-cache', 'install', 'save-cache', 'test', 'build', 'deploy', 'health',
  'save-artifact', 'remove',
];
const OUTCOMES: readonly PhaseOutcome[] = ['succeeded', 'failed', 'skipped'];

/** The marker on this line, or undefined for an ordinary line (or a forged, malformed one). */
export function parsePhaseMarker(line: string): PhaseMarker | undefined {
  if (!line.startsWith(PHASE_MARKER_PREFIX)) return undefined;
  try {
    const value = JSON.parse(line.slice(PHASE_MARKER_PREFIX.length));
    if (!BUILD_PHASES.includes(value?.phase) || (value.event !== 'start' && value.event !== 'end')) return undefined;
    if (typeof value.at !== 'string' || Number.isNaN(Date.parse(value.at))) return undefined;
    const duration = value.durationMs;
    if (duration !== undefined && !(typeof duration === 'number' && Number.isSafeInteger(duration) && duration >= 0)) return undefined;
    if (value.outcome !== undefined && !OUTCOMES.includes(value.outcome)) return undefined;
    if (value.detail !== undefined && typeof value.detail !== 'string') return undefined;
    return value as PhaseMarker;
  } catch {
    return undefined;
  }
}
