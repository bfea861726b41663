import { BUILDER_EXIT } from '../runtime/core/builder-exit';

/** A build stops here; the message says why (it is masked before it is printed). */
export class BuildError extends Error {
  constructor(message: string, readonly exitCode: number = BUILDER_EXIT.failed) {
    super(message);
    this.name = 'BuildError';
  }
}
