import { versionAfter } from './current-version';
import { newDeploymentId } from './deployment-ids';
import { ConflictError, IllegalTransitionError, NotFoundError } from './errors';
import { ClaimOptions, Clock, CurrentVersion, LaunchQueue, Store, systemClock } from './ports';
import { isTerminal } from './state-machine';
import { Deployment, DeploymentStatus, TransitionDetails } from './types';

export type DeploymentRequest = Omit<Deployment, 'id' | 'status' | 'createdAt' | 'updatedAt' | 'reason' | 'taskId' | 'startedAt' | 'finishedAt'>;

export interface Scheduled {
  readonly deployment: Deployment;
  /** True when this deployment holds the environment lock and should be launched now. */
  readonly launch: boolean;
  /**
   * Nothing was decided (a claim that may wait, `ClaimOptions.mayWait`): the push's order
   * against this waiting or running push of its branch is not known yet. Claim again later.
   */
  readonly undecidedAgainst?: string;
}

export interface Completed {
  readonly deployment: Deployment;
  /** The waiting deployment that now holds the lock and should be launched. */
  readonly next?: string;
}

/** Hand-overs that skip cancelled waiters; bounded so a corrupt chain cannot loop. */
const MAX_HANDOVERS = 10;

/**
 * The per-environment lock rule: at most one deployment of an environment holds the lock
 * (is being launched or running); of the requests that arrive meanwhile only the newest
 * waits, the older ones end as `superseded`. "Newest" is `compareRequests` (push-order.ts):
 * pushes of one branch by the order of the pushes, everything else by request order.
 */
export class DeploymentScheduler {
  constructor(private readonly store: Store, private readonly clock: Clock = systemClock) {}

  /** Create and claim in one go (callers that launch in-process). */
  async request(request: DeploymentRequest): Promise<Scheduled> {
    return this.claim(await this.create(request));
  }

  /**
   * Record a new `queued` deployment, so it is visible at once; the launcher claims it
   * when the queue delivers it.
   */
  async create(request: DeploymentRequest): Promise<Deployment> {
    const env = await this.store.config.getEnvironment(request.application, request.environment);
    if (!env) throw new NotFoundError(`environment ${request.application}/${request.environment} does not exist`);
    // Only the teardown that deletion waits for; anything else would deploy what is about to go.
    if (env.deleting && request.action !== 'teardown') throw new ConflictError(`environment ${request.application}/${request.environment} is being deleted`);
    const now = this.clock.now().toISOString();
    const deployment: Deployment = {
      ...request,
      id: newDeploymentId(this.clock),
      status: 'queued',
      createdAt: now,
      updatedAt: now,
    };
    await this.store.deployments.create(deployment);
    return deployment;
  }

  /**
   * Record a queued deployment and hand it to the launcher (the webhook's and the API's way in).
   * One that could not be enqueued is ended as `failed` with `unsentReason`, since no launcher
   * would ever see it, and an UnsentDeploymentError naming it is thrown.
   */
  async submit(request: DeploymentRequest, queue: LaunchQueue, unsentReason: string): Promise<Deployment> {
    const deployment = await this.create(request);
    try {
      await queue.send({ deploymentId: deployment.id });
    } catch (error) {
      await this.store.deployments.transition(deployment.id, 'failed', { reason: unsentReason }).catch(() => undefined);
      throw new UnsentDeploymentError(deployment.id, error);
    }
    return deployment;
  }

  /** Apply the lock rule to a queued deployment: launch it, let it wait, or supersede it. */
  async claim(deployment: Deployment, options: ClaimOptions = {}): Promise<Scheduled> {
    const claim = await this.store.deployments.claimEnvironment(deployment.application, deployment.environment, deployment, options);
    switch (claim.outcome) {
      case 'undecided':
        return { deployment, launch: false, undecidedAgainst: claim.other };
      case 'acquired':
        return { deployment, launch: true };
      case 'waiting':
        if (claim.displaced) await this.supersede(claim.displaced, deployment.id, claim.why);
        return { deployment, launch: false };
      case 'outdated':
        return { deployment: await this.store.deployments.transition(deployment.id, 'superseded', { reason: supersededBy(claim.newer, claim.why) }), launch: false };
    }
  }

  /** End a lock-holding deployment and pass the lock to the waiting one, if any. */
  async complete(id: string, status: DeploymentStatus, details: TransitionDetails = {}): Promise<Completed> {
    if (!isTerminal(status)) throw new Error(`complete() needs a terminal status, got ${status}`);
    const deployment = await this.store.deployments.transition(id, status, details);
    const next = await this.handOver(deployment.application, deployment.environment, id, versionAfter(deployment));
    return { deployment, next };
  }

  /**
   * Pass on the lock of a deployment that already ended (cancelled, or a repeated stop
   * event); a no-op when it does not hold the lock. Give the deployment as stored after its
   * end: a succeeded one's version becomes current in the releasing write, exactly as in
   * `complete()`, so it does not matter which of two racing copies releases first.
   */
  async release(deployment: Deployment): Promise<string | undefined> {
    return this.handOver(deployment.application, deployment.environment, deployment.id, versionAfter(deployment));
  }

  private async handOver(application: string, environment: string, holder: string, version?: CurrentVersion | null): Promise<string | undefined> {
    let current = holder;
    for (let i = 0; i < MAX_HANDOVERS; i++) {
      const { next } = await this.store.deployments.releaseEnvironment(application, environment, current, i === 0 ? version : undefined);
      if (!next) return undefined;
      const waiting = await this.store.deployments.get(next);
      if (waiting?.status === 'queued') return next;
      current = next; // cancelled while waiting: pass the lock on
    }
    return undefined;
  }

  private async supersede(id: string, by: string, why?: string): Promise<void> {
    try {
      await this.store.deployments.transition(id, 'superseded', { reason: supersededBy(by, why) });
    } catch (error) {
      // Already cancelled or moved on: nothing to supersede.
      if (!(error instanceof IllegalTransitionError)) throw error;
    }
  }
}

/** The queue refused a recorded deployment; it has been ended as failed. */
export class UnsentDeploymentError extends Error {
  constructor(readonly deploymentId: string, readonly cause: unknown) {
    super(`deployment ${deploymentId} could not be handed to the launcher: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** `superseded by <id>`, and the push rule that decided when it was not the request order. */
function supersededBy(newer: string, why?: string): string {
  return why ? `superseded by ${newer}: ${why}` : `superseded by ${newer}`;
}
