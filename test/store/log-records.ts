import { T0 } from './fixtures';
import { LogRecord, formatPhaseMarker } from '../../src/runtime/core';

/** Record `seq` with text that names it, so a misplaced line shows in a failure. */
export function record(seq: number, text = `line ${seq}`): LogRecord {
  return { seq, at: new Date(T0 + seq).toISOString(), stream: seq % 5 === 0 ? 'stderr' : 'stdout', text };
}

export function records(from: number, to: number): LogRecord[] {
  return Array.from({ length: to - from }, (_, i) => record(from + i));
}

/** A phase marker line at `seq`, as the builder prints it. */
export function marker(seq: number, phase: 'clone' | 'install', event: 'start' | 'end', durationMs?: number): LogRecord {
  const at = new Date(T0 + seq).toISOString();
  return {
    seq,
    at,
    stream: 'system',
    text: formatPhaseMarker({ phase, event, at, ...(event === 'end' ? { outcome: 'succeeded', durationMs, detail: 'ok' } : {}) }),
  };
}

/** Deterministic shuffle (so a failure reproduces). */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Split into batches of varying sizes (1..max). */
export function batches<T>(items: readonly T[], max: number, seed: number): T[][] {
  const out: T[][] = [];
  let state = seed;
  for (let i = 0; i < items.length;) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const size = 1 + (state % max);
    out.push(items.slice(i, i + size));
    i += size;
  }
  return out;
}
