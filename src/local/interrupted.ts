import { DeploymentScheduler } from '../runtime/core/deployment-scheduler';
import { IllegalTransitionError } from '../runtime/core/errors';
import { formatPhaseMarker, BuildPhase } from '../runtime/core/phase-markers';
import { Clock, Store, systemClock } from '../runtime/core/ports';
import { compareRequests } from '../runtime/core/push-order';
import { isTerminal } from '../runtime/core/state-machine';
import { Deployment } from '../runtime/core/types';

export const INTERRUPTED_REASON = 'interrupted: the local server stopped before this deployment finished';
/** Deployments looked at per environment: far more than can be unfinished at once (one holder, one waiting). */
const RECENT = 50;
/** How long the closing log line is kept, as ingestLogs keeps a build's (days). */
const LOG_RETENTION_DAYS = 30;

export interface Resumed {
  /** The deployments that were running (their build died with the server), now failed with the reason. */
  readonly failed: Deployment[];
  /** Older waiting deployments replaced by a newer one of their environment. */
  readonly superseded: Deployment[];
  /** The newest waiting deployment of each environment: send each to the launch queue. */
  readonly requeue: string[];
}

/**
 * At start, finish what a previous run left (it was killed, so none of its builds or its
 * in-process queue survived; their processes are stopped by clearLeftovers before this):
 * - a running deployment becomes failed with the reason, its phases still open (a start
 *   marker stored without an end) are ended `failed` with the reason in its log, and its lock
 *   passes on as at any end;
 * - of the waiting (queued) deployments of an environment the newest (`compareRequests`) is to be sent to the
 *   launch queue again (returned in `requeue`), so it deploys without a new push; older ones
 *   are superseded by it, as the lock rule would have done;
 * - a lock still held by a deployment that already ended is released.
 */
export async function resumeInterrupted(store: Store, clock: Clock = systemClock): Promise<Resumed> {
  const scheduler = new DeploymentScheduler(store, clock);
  const result: Resumed = { failed: [], superseded: [], requeue: [] };
  for (const app of await store.config.listApplications()) {
    for (const env of app.environments) {
      const { items } = await store.deployments.listByEnvironment(app.name, env.name, { limit: RECENT });
      const unfinished = items.filter(item => !isTerminal(item.status));
      for (const deployment of unfinished.filter(item => item.status !== 'queued').reverse()) {
        await closeOpenPhases(store, deployment, clock);
        try {
          result.failed.push((await scheduler.complete(deployment.id, 'failed', { reason: INTERRUPTED_REASON })).deployment);
        } catch (error) {
          if (!(error instanceof IllegalTransitionError)) throw error;
        }
      }
      // The newest by the lock rule's order (pushes of a branch by their pushes, through each other).
      const queued = unfinished.filter(item => item.status === 'queued');
      const newest = queued.reduce<Deployment | undefined>((best, item) => (!best || compareRequests(item, best, queued).newer === 'candidate' ? item : best), undefined);
      const older = newest ? queued.filter(item => item !== newest) : [];
      for (const deployment of older) {
        try {
          result.superseded.push(await store.deployments.transition(deployment.id, 'superseded', { reason: `superseded by ${newest!.id}` }));
        } catch (error) {
          if (!(error instanceof IllegalTransitionError)) throw error;
        }
      }
      await releaseEnded(store, scheduler, app.name, env.name);
      if (newest) result.requeue.push(newest.id);
    }
  }
  return result;
}

/** Only the failures, for callers that do not launch (the deployments left waiting stay queued). */
export async function failInterrupted(store: Store, clock?: Clock): Promise<Deployment[]> {
  return (await resumeInterrupted(store, clock)).failed;
}

/** A lock whose holder has ended (a build stopped after a cancel, superseded waiters) is passed on until a live one holds it. */
async function releaseEnded(store: Store, scheduler: DeploymentScheduler, application: string, environment: string): Promise<void> {
  for (let i = 0; i < RECENT; i++) {
    const env = await store.config.getEnvironment(application, environment);
    const holder = env?.lockHolder === undefined ? undefined : await store.deployments.get(env.lockHolder);
    if (!holder || !isTerminal(holder.status)) return;
    await scheduler.release(holder);
    const after = await store.config.getEnvironment(application, environment);
    if (after?.lockHolder === holder.id) return; // not released (the store refused): leave it
  }
}

/**
 * The log's closing lines: an end marker (`failed`, with the reason) for each phase whose
 * start is stored without an end, so no phase of an ended deployment stays `running`.
 */
async function closeOpenPhases(store: Store, deployment: Deployment, clock: Clock): Promise<void> {
  const open = (deployment.phases ?? []).filter(phase => phase.outcome === 'running');
  if (open.length === 0) return;
  const now = clock.now();
  const expiresAt = Math.floor(now.getTime() / 1000) + LOG_RETENTION_DAYS * 24 * 60 * 60;
  const { next } = await store.logs.ingest(deployment.id, [], { expiresAt });
  const records = open.map((phase, index) => ({
    seq: next + index,
    at: now.toISOString(),
    stream: 'system' as const,
    text: formatPhaseMarker({
      phase: phase.phase as BuildPhase,
      event: 'end',
      at: now.toISOString(),
      outcome: 'failed',
      durationMs: Math.max(0, now.getTime() - Date.parse(phase.startedAt)),
      detail: INTERRUPTED_REASON,
    }),
  }));
  await store.logs.ingest(deployment.id, records, { expiresAt });
}
