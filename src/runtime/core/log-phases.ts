import { parsePhaseMarker } from './phase-markers';
import { LogRecord, PhaseRecord } from './types';

/**
 * The phase records that stored log records establish. Only `system` lines are the
 * builder's own, so only they count; an end marker carries everything (start = end - duration),
 * so a phase whose start and end arrive together is written once.
 */
export function phaseUpdates(records: readonly LogRecord[]): PhaseRecord[] {
  const byPhase = new Map<string, PhaseRecord>();
  for (const record of records) {
    if (record.stream !== 'system') continue;
    const marker = parsePhaseMarker(record.text);
    if (!marker) continue;
    if (marker.event === 'start') {
      byPhase.set(marker.phase, { phase: marker.phase, startedAt: new Date(marker.at).toISOString(), outcome: 'running' });
    } else {
      const ended = Date.parse(marker.at);
      const durationMs = marker.durationMs ?? 0;
      byPhase.set(marker.phase, {
        phase: marker.phase,
        startedAt: new Date(ended - durationMs).toISOString(),
        endedAt: new Date(ended).toISOString(),
        durationMs,
        outcome: marker.outcome ?? 'succeeded',
        detail: marker.detail,
      });
    }
  }
  return [...byPhase.values()];
}
