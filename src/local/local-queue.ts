import { retryWithin } from './retry';
import { LaunchMessage, LaunchQueue } from '../runtime/core/ports';
import { BuildDependencies, launchQueued } from '../runtime/deployments/launch';

/**
 * Local mode's launch queue: what SQS and the launcher function do in AWS, in-process. `send`
 * returns at once; the launch (core's lock rule, then the runner) runs right after, and its
 * errors are logged, never thrown into the sender (which has already answered its caller).
 */
export class LocalLaunchQueue implements LaunchQueue {
  private readonly inFlight = new Set<Promise<void>>();
  /** Messages sent with a delay, until it passes: cleared by close (a restart re-queues what waited). */
  private readonly delayed = new Map<NodeJS.Timeout, () => void>();
  private closed = false;

  constructor(private readonly deps: BuildDependencies) {}

  async send(message: LaunchMessage): Promise<void> {
    const log = this.deps.log ?? (() => undefined);
    if (this.closed) {
      log({ message: 'launch dropped: the local queue is closed', deploymentId: message.deploymentId });
      return;
    }
    if (message.delaySeconds) {
      const waited = new Promise<void>(resolve => {
        const timer = setTimeout(() => {
          this.delayed.delete(timer);
          void this.send({ ...message, delaySeconds: 0 }).then(resolve);
        }, message.delaySeconds! * 1000);
        this.delayed.set(timer, resolve);
      });
      this.track(waited);
      return;
    }
    // Retried like SQS redelivers (launchQueued is safe to repeat): the store may be briefly
    // unreachable (DynamoDB Local restarting) after the lock was taken.
    const launch = new Promise<void>(resolve => setImmediate(resolve))
      .then(() => retryWithin(
        async () => log({ message: 'launch requested', ...await launchQueued(message.deploymentId, this.deps, { queue: this, deferrals: message.deferrals ?? 0 }) }),
        ({ attempt, error, last }) => log({ message: last ? 'launch failed; given up' : 'launch failed; retrying', deploymentId: message.deploymentId, attempt, error }),
      ))
      .then(() => undefined);
    this.track(launch);
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /** Resolves when every launch sent so far has been handled. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  /** Take no more launches and wait for those under way. */
  async close(): Promise<void> {
    this.closed = true;
    for (const [timer, resolve] of this.delayed) {
      clearTimeout(timer);
      resolve();
    }
    this.delayed.clear();
    await this.idle();
  }
}
