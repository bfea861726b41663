import { finishDeletion } from './deletion';
import { BuildDependencies, LaunchOutcome, launchQueued, pastInvocation, startHolder, stranded } from './launch';
import { BUILDER_EXIT } from '../core/builder-exit';
import { isDeploymentId } from '../core/deployment-ids';
import { DeploymentScheduler } from '../core/deployment-scheduler';
import { IllegalTransitionError, errorMessage } from '../core/errors';
import { LaunchQueue, Store } from '../core/ports';
import { TRELLIS_ACTOR, rollbackProblem, rollbackRequest } from '../core/rollback';
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
  /** The automatic rollback this event requested (a failed health check), if any. */
  readonly rollback?: string;
}

/**
 * A build's task stopped: set the terminal status from the exit code (never from log
 * text), release the lock and start the newest waiting deployment. A deployment that failed
 * its health check (exit 3) also rolls its environment back to the current version. Repeated
 * events change nothing: only the copy that made the terminal write requests the rollback.
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
    const plan = event.exitCode === BUILDER_EXIT.unhealthy ? await rollbackPlan(deployment, deps.store) : undefined;
    const reason = plan ? `${verdict.reason}; ${plan.note}` : verdict.reason;
    let won: Deployment | undefined;
    try {
      won = await deps.store.deployments.transition(deployment.id, verdict.status, { reason, taskId: deployment.taskId ?? event.taskId });
    } catch (error) {
      if (!(error instanceof IllegalTransitionError)) throw error;
      // Cancelled meanwhile, or a copy of this event won the race: release as it ended, so a
      // succeeded version still becomes current if this copy releases first.
      ended = await deps.store.deployments.get(deployment.id) ?? deployment;
    }
    if (won) {
      // This copy made the terminal write. Its rollback is requested before the lock is
      // released, so a push that arrives meanwhile is newer and replaces it (the lock rule).
      const rollback = plan?.target ? await requestRollback(plan.target, won, deps) : undefined;
      const next = await scheduler.release(won);
      await finishDeletion(won, deps.store, deps.log);
      return { outcome: 'finalized', status: verdict.status, rollback, next: next ? await startHolder(next, deps) : undefined };
    }
  }
  // Already final (a repeated event, or the retry of a finalizer that failed after its
  // terminal write): ask for the rollback that copy may have died before asking for (only
  // when this copy found it final; one that lost the race to a live copy leaves it to that
  // one), then pass the lock on if it still holds it.
  const rollback = isTerminal(deployment.status) ? await unrequestedRollback(event, deployment, deps) : undefined;
  const next = await scheduler.release(ended) ?? await strandedHolder(ended, deps);
  await finishDeletion(ended, deps.store, deps.log);
  return { outcome: 'already-final', status: ended.status, rollback, next: next ? await startHolder(next, deps) : undefined };
}

/**
 * The copy of an unhealthy deployment's stop event that made the terminal write asks for the
 * rollback, and nothing else would; if it died in between, a retry of the event asks instead:
 * when the failed deployment is still its environment's newest (no rollback was recorded, and
 * nothing newer replaces it) and it ended long enough ago that the first copy is over (the
 * same bound as a stranded launch; Lambda retries a failed event a minute or more later).
 */
async function unrequestedRollback(event: TaskStopped, failed: Deployment, deps: BuildDependencies): Promise<string | undefined> {
  if (event.exitCode !== BUILDER_EXIT.unhealthy || failed.status !== 'failed' || failed.taskId !== event.taskId) return undefined;
  if (!pastInvocation(failed.finishedAt, deps)) return undefined;
  const { items } = await deps.store.deployments.listByEnvironment(failed.application, failed.environment, { limit: 1 });
  if (items[0]?.id !== failed.id) return undefined;
  const plan = await rollbackPlan(failed, deps.store);
  return plan.target ? requestRollback(plan.target, failed, deps) : undefined;
}

/** What follows a failed health check: a rollback to `target`, or why not; `note` ends the failed deployment's reason. */
interface RollbackPlan {
  readonly target?: Deployment;
  readonly note: string;
}

/**
 * Back to the environment's current version (the failed deployment never became current),
 * unless there is none (a first deploy), the failed deployment was the automatic rollback
 * (no loops), or a newer deployment already waits for the lock (it replaces the bad version).
 */
async function rollbackPlan(failed: Deployment, store: Store): Promise<RollbackPlan> {
  if (failed.trigger.kind === 'auto-rollback') return { note: 'not rolled back again: this was the automatic rollback' };
  const env = await store.config.getEnvironment(failed.application, failed.environment);
  if (env?.currentDeploymentId === undefined) return { note: 'nothing to roll back to: no earlier version succeeded here' };
  const waiting = env.pending === undefined ? undefined : await store.deployments.get(env.pending);
  if (waiting?.status === 'queued') return { note: `not rolled back: ${waiting.id} is waiting to replace it` };
  const target = await store.deployments.get(env.currentDeploymentId);
  const problem = target ? rollbackProblem(target, failed.application, failed.environment) : 'is not recorded';
  if (problem || !target) return { note: `not rolled back: the current version ${env.currentDeploymentId} ${problem}` };
  return { target, note: `rolling back to ${target.id}` };
}

/**
 * Submit the automatic rollback as the API submits a person's (DeploymentScheduler.submit).
 * Never throws: the failed deployment's lock must still be released; a rollback that could
 * not be recorded or sent is logged (and, when recorded, ended as failed by submit).
 */
async function requestRollback(target: Deployment, failed: Deployment, deps: BuildDependencies): Promise<string | undefined> {
  const log = deps.log ?? (() => undefined);
  const queue = deps.queue ?? launchInProcess(deps);
  try {
    const request = rollbackRequest(target, { kind: 'auto-rollback', actor: TRELLIS_ACTOR }, failed.repository);
    const rollback = await new DeploymentScheduler(deps.store, deps.clock).submit(request, queue, 'the automatic rollback could not be handed to the launcher');
    log({ message: 'automatic rollback requested', deployment: rollback.id, failed: failed.id, restores: target.id, commit: target.commit });
    return rollback.id;
  } catch (error) {
    log({ message: 'automatic rollback could not be requested', failed: failed.id, restores: target.id, error: errorMessage(error) });
    return undefined;
  }
}

/** Without a queue (the AWS finalizer), the launcher's own path, run here: the lock rule, then the task. */
function launchInProcess(deps: BuildDependencies): LaunchQueue {
  return { send: async ({ deploymentId }) => { await launchQueued(deploymentId, deps); } };
}

/**
 * A repeated event (EventBridge retries a finalizer that failed) may find the lock already
 * handed over to a deployment that was never started: the first attempt failed between the
 * hand-over and the launch, and no queue message will ever launch it. Returns that holder
 * while it is still queued, or stranded (marked running, the task never recorded); starting
 * it twice is safe, since only one `queued → running` wins and the task start is idempotent.
 */
async function strandedHolder(deployment: Deployment, deps: BuildDependencies): Promise<string | undefined> {
  const env = await deps.store.config.getEnvironment(deployment.application, deployment.environment);
  if (!env?.lockHolder || env.lockHolder === deployment.id) return undefined;
  const holder = await deps.store.deployments.get(env.lockHolder);
  return holder && (holder.status === 'queued' || stranded(holder, deps)) ? holder.id : undefined;
}

/** How a phase is named in a reason, where its name alone reads badly. */
const PHASE_NAMES: Readonly<Record<string, string>> = { health: 'health check' };

/**
 * The status from the exit code alone; the reason names the phase that failed when the log
 * has stored it (`test failed: npm run test exited with code 1`, `health check failed: GET
 * ... answered 500 ...`), else the exit code and what it means.
 */
export function verdictOf(event: TaskStopped, phases: readonly PhaseRecord[] = []): { status: DeploymentStatus; reason?: string } {
  if (event.exitCode === undefined || event.exitCode === null) {
    return { status: 'failed', reason: `the build task stopped before the builder ran: ${event.stopReason ?? 'no reason given'}` };
  }
  if (event.exitCode === BUILDER_EXIT.succeeded) return { status: 'succeeded' };
  if (event.exitCode === BUILDER_EXIT.outdated) {
    const clone = phases.find(phase => phase.phase === 'clone')?.detail;
    return { status: 'superseded', reason: clone?.startsWith('superseded by ') ? clone : 'superseded: a newer push of its branch is deployed' };
  }
  // Exit 3 is the health phase failing, whether or not its end is stored yet.
  const failed = phases.find(phase => phase.outcome === 'failed')
    ?? (event.exitCode === BUILDER_EXIT.unhealthy ? { phase: 'health', detail: `the builder exited with code ${event.exitCode}` } : undefined);
  if (failed) return { status: 'failed', reason: `${PHASE_NAMES[failed.phase] ?? failed.phase} failed${failed.detail ? `: ${failed.detail}` : ''}` };
  const meaning = event.exitCode === BUILDER_EXIT.invalid ? ' (invalid parameters or configuration)' : '';
  return { status: 'failed', reason: `the builder exited with code ${event.exitCode}${meaning}` };
}
