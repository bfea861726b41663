import { Masker } from './masking';
import { PHASE_MARKER_PREFIX, PhaseMarker, formatPhaseMarker } from '../runtime/core/build-contract';

export type OutputStream = 'stdout' | 'stderr';

/** Where the builder's output goes: stdout in the container, a buffer in tests. */
export interface LineWriter {
  write(line: string, stream: OutputStream): void;
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
      this.writer.write(masked.startsWith(PHASE_MARKER_PREFIX) ? `\\${masked}` : masked, stream);
    }
  }

  marker(marker: PhaseMarker): void {
    const detail = marker.detail === undefined ? undefined : this.masker.mask(marker.detail).replace(/\s+/g, ' ');
    this.writer.write(formatPhaseMarker({ ...marker, detail }), 'stdout');
  }
}
