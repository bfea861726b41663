import { BuildDependencies, LaunchOutcome, startHolder } from './launch';
import { BUILDER_EXIT } from '../core/build-contract';
import { isDeploymentId } from '../core/deployment-ids';
import { DeploymentScheduler } from '../core/deployment-scheduler';
import { IllegalTransitionError } from '../core/errors';
import { isTerminal } from '../core/state-machine';
import { Deployment, DeploymentStatus, PhaseRecord } from '../core/types';

/** What the executor reports when a build's task stopped (ECS "Task State Change" STOPPED). */
export interface TaskStopped {
  readonly taskId: string;
  /** The deployment id the task was started for (ECS `startedBy`). */
  readonly deploymentId: string;
  /** The builder container's exit code; absent when it never ran (image pull error, ...). */
  readonly exitCode?: number;
  readonly stopReason?: string;
}

export interface Finalized {
  readonly outcome: 'finalized' | 'already-final' | 'ignored';
  readonly status?: DeploymentStatus;
  readonly next?: LaunchOutcome;
}

/**
 * A build's task stopped: set the terminal status from the exit code (never from log
 * text), release the lock and start the newest waiting deployment. Repeated events change
 * nothing.
 */
export async function finalizeTask(event: TaskStopped, deps: BuildDependencies): Promise<Finalized> {
  if (!isDeploymentId(event.deploymentId)) return { outcome: 'ignored' };
  const deployment = await deps.store.deployments.get(event.deploymentId);
  if (!deployment || (deployment.taskId !== undefined && deployment.taskId !== event.taskId)) return { outcome: 'ignored' };
  // A queued deployment has no task yet (it is marked running before RunTask): the event is not about it.
  if (deployment.status === 'queued') return { outcome: 'ignored' };

  const scheduler = new DeploymentScheduler(deps.store, deps.clock);
  let ended = deployment;
  if (!isTerminal(deployment.status)) {
    const verdict = verdictOf(event, deployment.phases);
    try {
      const { next } = await scheduler.complete(deployment.id, verdict.status, { reason: verdict.reason, taskId: deployment.taskId ?? event.taskId });
      return { outcome: 'finalized', status: verdict.status, next: next ? await startHolder(next, deps) : undefined };
    } catch (error) {
      if (!(error instanceof IllegalTransitionError)) throw error;
      // Cancelled meanwhile, or a copy of this event won the race: release as it ended, so a
      // succeeded version still becomes current if this copy releases first.
      ended = await deps.store.deployments.get(deployment.id) ?? deployment;
    }
  }
  // Already final (a repeated event, or the retry of a finalizer that failed after its
  // terminal write): pass the lock on if it still holds it.
  const next = await scheduler.release(ended) ?? await strandedHolder(ended, deps);
  return { outcome: 'already-final', status: ended.status, next: next ? await startHolder(next, deps) : undefined };
}

/**
 * A repeated event (EventBridge retries a finalizer that failed) may find the lock already
 * handed over to a deployment that was never started: the first attempt failed between the
 * hand-over and the launch, and no queue message will ever launch it. Returns that holder
 * while it is still queued; starting it twice is safe, since only one `queued → running` wins.
 */
async function strandedHolder(deployment: Deployment, deps: BuildDependencies): Promise<string | undefined> {
  const env = await deps.store.config.getEnvironment(deployment.application, deployment.environment);
  if (!env?.lockHolder || env.lockHolder === deployment.id) return undefined;
  const holder = await deps.store.deployments.get(env.lockHolder);
  return holder?.status === 'queued' ? holder.id : undefined;
}

/**
 * The status from the exit code alone; the reason names the phase that failed when the log
 * has stored it (`test failed: npm run test exited with code 1`), else the exit code.
 */
export function verdictOf(event: TaskStopped, phases: readonly PhaseRecord[] = []): { status: DeploymentStatus; reason?: string } {
  if (event.exitCode === undefined || event.exitCode === null) {
    return { status: 'failed', reason: `the build task stopped before the builder ran: ${event.stopReason ?? 'no reason given'}` };
  }
  if (event.exitCode === BUILDER_EXIT.succeeded) return { status: 'succeeded' };
  const meaning = event.exitCode === BUILDER_EXIT.invalid ? ' (invalid parameters or configuration)' : '';
  const failed = phases.find(phase => phase.outcome === 'failed');
  if (failed) return { status: 'failed', reason: `${failed.phase} failed${failed.detail ? `: ${failed.detail}` : ''}` };
  return { status: 'failed', reason: `the builder exited with code ${event.exitCode}${meaning}` };
}
