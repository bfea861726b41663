import { LAUNCH_TIMEOUT_SECONDS } from '../../contract/runner-settings';
import { DeploymentScheduler } from '../core/deployment-scheduler';
import { ConflictError, IllegalTransitionError, errorMessage } from '../core/errors';
import { ingestTokenHash, newIngestToken } from '../core/ingest-token';
import { Clock, LaunchQueue, Store, TaskRequest, TaskRunner, systemClock } from '../core/ports';
import { Deployment } from '../core/types';

export interface BuildDependencies {
  readonly store: Store;
  readonly runner: TaskRunner;
  readonly clock?: Clock;
  readonly log?: (entry: Record<string, unknown>) => void;
  /**
   * Where deployments the build server asks for itself (automatic rollbacks) are sent.
   * @default launched in this process (`launchQueued`), as the finalizer starts a waiting one
   */
  readonly queue?: LaunchQueue;
  /**
   * How long after a launch or finalize invocation wrote something its work counts as left
   * half done (the invocation is over): a deployment marked running without a task
   * (`stranded`), an unhealthy deployment's rollback not asked for.
   * @default LAUNCH_TIMEOUT_SECONDS
   */
  readonly strandedAfterSeconds?: number;
}

export type LaunchOutcome =
  | { readonly outcome: 'started'; readonly deploymentId: string; readonly taskId: string }
  | { readonly outcome: 'waiting' | 'superseded' | 'skipped' | 'failed' | 'missing' | 'deferred'; readonly deploymentId: string; readonly reason?: string };

/** Bounded so a chain of failing launches cannot spin forever. */
const MAX_CHAIN = 20;

/**
 * A push whose order against a waiting or running push of its branch nothing GitHub signed
 * tells (no chain of recorded pushes between them, the same seconds) is claimed again this
 * much later, when the pushes in between have usually arrived, up to `times` times; then the
 * request order decides (and the builder's ancestry check still keeps an older commit from deploying).
 */
export const ORDER_RECHECK = { delaySeconds: 2, times: 5 };

/** Where a claim put off is sent again, and how often it was put off already. */
export interface Recheck {
  readonly queue: LaunchQueue;
  readonly deferrals: number;
}

/**
 * A queued deployment arrives from the launch queue: apply the lock rule and, when it holds
 * the lock, start its build. Safe to call twice for one deployment (SQS is at-least-once),
 * and a repeat is how a launch cut short is finished (see `stranded`).
 */
export async function launchQueued(deploymentId: string, deps: BuildDependencies, recheck?: Recheck): Promise<LaunchOutcome> {
  const deployment = await deps.store.deployments.get(deploymentId);
  if (!deployment) return { outcome: 'missing', deploymentId };
  if (stranded(deployment, deps)) return startHolder(deploymentId, deps);
  // Running without a task, but recently: its launch may still be under way. Ask again later
  // (SQS redelivers the message), when it either has its task or is stranded.
  if (startedWithoutTask(deployment)) throw new LaunchInProgressError(deployment);
  if (deployment.status !== 'queued') return { outcome: 'skipped', deploymentId, reason: `already ${deployment.status}` };
  const mayWait = recheck !== undefined && recheck.deferrals < ORDER_RECHECK.times;
  const scheduled = await new DeploymentScheduler(deps.store, deps.clock).claim(deployment, { mayWait });
  if (scheduled.undecidedAgainst) {
    const { delaySeconds } = ORDER_RECHECK;
    await recheck!.queue.send({ deploymentId, deferrals: recheck!.deferrals + 1, delaySeconds });
    return { outcome: 'deferred', deploymentId, reason: `its order against ${scheduled.undecidedAgainst} is not known yet: claimed again in ${delaySeconds} s` };
  }
  if (!scheduled.launch) {
    return { outcome: scheduled.deployment.status === 'superseded' ? 'superseded' : 'waiting', deploymentId, reason: scheduled.deployment.reason };
  }
  return startHolder(deploymentId, deps);
}

/**
 * `deploymentId` holds its environment's lock: start its task. If the executor refuses,
 * the deployment fails with the reason and the lock passes to the next waiting one, which
 * is started in turn.
 */
export async function startHolder(deploymentId: string, deps: BuildDependencies): Promise<LaunchOutcome> {
  const scheduler = new DeploymentScheduler(deps.store, deps.clock ?? systemClock);
  const log = deps.log ?? (() => undefined);
  let current: string | undefined = deploymentId;
  let first: LaunchOutcome | undefined;
  for (let i = 0; current && i < MAX_CHAIN; i++) {
    const outcome = await startOne(current, deps, scheduler);
    log({ message: 'launch', ...outcome.result });
    first ??= outcome.result;
    current = outcome.next;
  }
  return first!;
}

async function startOne(id: string, deps: BuildDependencies, scheduler: DeploymentScheduler): Promise<{ result: LaunchOutcome; next?: string }> {
  let deployment: Deployment;
  try {
    // queued → running first: of two launchers racing on one deployment only one gets here.
    deployment = await deps.store.deployments.transition(id, 'running');
  } catch (error) {
    if (!(error instanceof IllegalTransitionError)) throw error;
    const current = await deps.store.deployments.get(id);
    if (current && stranded(current, deps)) {
      deployment = current;
    } else {
      // Cancelled while it waited: pass the lock on. Already running: someone else launched it.
      const next = current && current.status !== 'running' ? await scheduler.release(current) : undefined;
      return { result: { outcome: 'skipped', deploymentId: id, reason: `already ${error.from}` }, next };
    }
  }
  // Outside the try: a store that does not answer is retried (the message comes back), not a failed build.
  const env = await deps.store.config.getEnvironment(deployment.application, deployment.environment);
  // One token per deployment, kept before the first RunTask: a repeat sends the same parameters.
  const token = await deps.store.deployments.ingestToken(id, newIngestToken());
  let taskId: string;
  let ingestToken: string;
  try {
    // A preview's build reads the secrets of the environment it copies; a fork's none (null).
    const secretsFrom = env?.preview && (env.preview.secretsFrom ?? null);
    ({ taskId, ingestToken } = await deps.runner.run(taskRequest(deployment, token, env?.buildRoleArn, secretsFrom)));
  } catch (error) {
    const reason = `the build could not be started: ${errorMessage(error)}`;
    // A stranded one that was cancelled meanwhile has its end already: only the lock is left.
    if (deployment.status !== 'running') return { result: { outcome: 'skipped', deploymentId: id, reason }, next: await scheduler.release(deployment) };
    const { next } = await scheduler.complete(id, 'failed', { reason });
    return { result: { outcome: 'failed', deploymentId: id, reason }, next };
  }
  try {
    await deps.store.deployments.attachTask(id, taskId, ingestTokenHash(ingestToken));
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    // Cancelled while the task was starting: stop it; its stop event releases the lock.
    await deps.runner.stop(taskId, 'the deployment was cancelled while its build started');
    return { result: { outcome: 'skipped', deploymentId: id, reason: 'cancelled while starting' } };
  }
  return { result: { outcome: 'started', deploymentId: id, taskId } };
}

/**
 * Marked running (or cancelled after that) long enough ago, with no task recorded: the launch
 * that took it there stopped before it recorded the task (a launcher that timed out, or lost
 * the store, between queued → running and attachTask), and nothing else will move it on. A
 * repeated launch finishes the job: the runner's start is idempotent per deployment, so it
 * gets the task the first launch may already have started, and attaches it; one cancelled
 * meanwhile has that task stopped (attachTask refuses it), whose stop event releases the lock.
 * Before that long the first launch may still be running, and is left alone.
 */
export function stranded(deployment: Deployment, deps: Pick<BuildDependencies, 'clock' | 'strandedAfterSeconds'>): boolean {
  return startedWithoutTask(deployment) && pastInvocation(deployment.startedAt, deps);
}

/** Whether `at` (written by a launch or finalize invocation) is long enough ago that the invocation is over. */
export function pastInvocation(at: string | undefined, deps: Pick<BuildDependencies, 'clock' | 'strandedAfterSeconds'>): boolean {
  if (at === undefined) return false;
  const since = (deps.clock ?? systemClock).now().getTime() - Date.parse(at);
  return since >= (deps.strandedAfterSeconds ?? LAUNCH_TIMEOUT_SECONDS) * 1000;
}

function startedWithoutTask(deployment: Deployment): boolean {
  const marked = deployment.status === 'running' || deployment.status === 'cancelled';
  return marked && deployment.startedAt !== undefined && deployment.taskId === undefined;
}

/** A repeated launch of a deployment whose first launch may still be starting its task. */
export class LaunchInProgressError extends Error {
  constructor(readonly deployment: Deployment) {
    super(`deployment ${deployment.id} was marked ${deployment.status} at ${deployment.startedAt} and has no task yet: its launch may still be under way`);
  }
}

/** The deployment's task request; the build reads its record, configuration and secrets itself. */
export function taskRequest(deployment: Deployment, ingestToken: string, taskRoleArn?: string, secretsFrom?: string | null): TaskRequest {
  return {
    taskRoleArn,
    ...secretsFrom !== undefined && { secretsFrom },
    deploymentId: deployment.id,
    action: deployment.action,
    application: deployment.application,
    environment: deployment.environment,
    commit: deployment.commit,
    ingestToken,
  };
}
