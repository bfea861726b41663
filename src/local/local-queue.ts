import { BuildDependencies, LaunchOutcome, launchQueued } from '../runtime/build/launch';
import { errorMessage } from '../runtime/core/errors';
import { LaunchMessage, LaunchQueue } from '../runtime/core/ports';

/**
 * Local mode's launch queue: what SQS and the launcher function do in AWS, in-process. `send`
 * returns at once; the launch (core's lock rule, then the runner) runs right after, and its
 * errors are logged, never thrown into the sender (which has already answered its caller).
 */
export class LocalLaunchQueue implements LaunchQueue {
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly deps: BuildDependencies) {}

  async send(message: LaunchMessage): Promise<void> {
    const log = this.deps.log ?? (() => undefined);
    if (this.closed) {
      log({ message: 'launch dropped: the local queue is closed', deploymentId: message.deploymentId });
      return;
    }
    const launch = new Promise<void>(resolve => setImmediate(resolve))
      .then(() => launchQueued(message.deploymentId, this.deps))
      .then(
        (outcome: LaunchOutcome) => log({ message: 'launch requested', ...outcome }),
        error => log({ message: 'launch failed', deploymentId: message.deploymentId, error: errorMessage(error) }),
      );
    this.inFlight.add(launch);
    void launch.finally(() => this.inFlight.delete(launch));
  }

  /** Resolves when every launch sent so far has been handled. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  /** Take no more launches and wait for those under way. */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }
}
