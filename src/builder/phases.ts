import { BuildError } from './build-error';
import { Reporter } from './output';
import { errorMessage } from '../runtime/core/errors';
import { BuildPhase } from '../runtime/core/phase-markers';
import { Clock } from '../runtime/core/ports';

/** What a phase body may say about how it went; a body that throws has failed. */
export interface PhaseNote {
  detail?: string;
  skipped?: boolean;
}

/** Wraps each phase in start and end markers (duration, outcome, detail). */
export class Phases {
  constructor(private readonly reporter: Reporter, private readonly clock: Clock) {}

  /** Run `body` as `phase`; a failure is marked, printed and rethrown to stop the build. */
  async run<T>(phase: BuildPhase, body: (note: PhaseNote) => Promise<T>): Promise<T> {
    const started = this.clock.now();
    this.reporter.marker({ phase, event: 'start', at: started.toISOString() });
    const note: PhaseNote = {};
    const end = (outcome: 'succeeded' | 'failed' | 'skipped', detail?: string) => {
      const ended = this.clock.now();
      this.reporter.marker({ phase, event: 'end', at: ended.toISOString(), outcome, durationMs: ended.getTime() - started.getTime(), detail });
    };
    try {
      const value = await body(note);
      end(note.skipped ? 'skipped' : 'succeeded', note.detail);
      return value;
    } catch (error) {
      const message = errorMessage(error);
      this.reporter.line(`error: ${phase} failed: ${message}`, 'stderr');
      end('failed', message);
      throw error instanceof BuildError ? error : new BuildError(message);
    }
  }

  /** A phase that does not apply to this build, with the reason. */
  async skip(phase: BuildPhase, detail: string): Promise<void> {
    await this.run(phase, async note => {
      note.skipped = true;
      note.detail = detail;
    });
  }
}
