import { auditExpiresAt, newAuditEntryId } from '../core/audit-retention';
import { DeploymentRequest, DeploymentScheduler } from '../core/deployment-scheduler';
import { ConflictError, IllegalTransitionError, NotFoundError, errorMessage } from '../core/errors';
import { Clock, LaunchQueue, Store } from '../core/ports';
import {
  MAX_TEARDOWN_ATTEMPTS, PullRequestEvent, capReason, isFork, matchPullRequest, previewEnvironment, previewName, previewPosition, stepOf,
} from '../core/previews';
import { isTerminal } from '../core/state-machine';
import { ApplicationRecord, Deployment, EnvironmentRecord, PreviewRecord, PreviewsConfig } from '../core/types';

/**
 * Pull requests → preview environments: the webhook's pull_request events (handlePullRequest),
 * a deployer's approval of a fork's commit (approvePreview), and the sweep that finishes the
 * removal of closed ones (sweepPreviews). The rules are core/previews.ts; every write that
 * decides something is conditional (store/dynamo-preview-store.ts), so a redelivered event, two
 * sweeps at once or a sweep racing the finalizer change nothing twice.
 */
export interface PreviewDeps {
  readonly store: Store;
  readonly queue: LaunchQueue;
  readonly clock: Clock;
  readonly log: (entry: Record<string, unknown>) => void;
}

/** What one pull_request event did, per application it concerns. */
export interface PullRequestOutcome {
  readonly previews: readonly PreviewOutcome[];
  /** Why an application (or the whole event) starts nothing, for the webhook's answer. */
  readonly ignored: readonly string[];
}

export interface PreviewOutcome {
  readonly application: string;
  readonly environment: string;
  readonly status: 'deploying' | 'awaiting-approval' | 'tearing-down' | 'removed' | 'refused';
  readonly deployment?: string;
  readonly reason?: string;
}

/** The actor of what the webhook does for a pull request (its author when known). */
function webhookActor(pr: PullRequestEvent): string {
  return pr.author ?? 'github';
}

export async function handlePullRequest(pr: PullRequestEvent, deliveryId: string, deps: PreviewDeps): Promise<PullRequestOutcome> {
  const step = stepOf(pr.action);
  if (step === 'none') return { previews: [], ignored: [`pull request action '${pr.action}' changes no preview`] };
  const apps = await deps.store.config.listApplications();
  const matches = matchPullRequest(apps, pr);
  if (matches.length === 0) return { previews: [], ignored: [`no application uses repository '${pr.repository}'`] };
  const previews: PreviewOutcome[] = [];
  const ignored: string[] = [];
  for (const match of matches) {
    if ('ignored' in match) {
      ignored.push(match.ignored);
      continue;
    }
    const app = apps.find(candidate => candidate.name === match.application)!;
    const outcome = step === 'close'
      ? await closeFor(app, pr, deps)
      : await deployFor(app, match.previews, pr, deliveryId, deps);
    if (typeof outcome === 'string') ignored.push(`${app.name}: ${outcome}`);
    else previews.push(outcome);
  }
  return { previews, ignored };
}

/** opened/reopened/synchronize: the preview made (or found), then its head deployed, or held for approval. */
async function deployFor(
  app: ApplicationRecord, config: PreviewsConfig, pr: PullRequestEvent, deliveryId: string, deps: PreviewDeps,
): Promise<PreviewOutcome | string> {
  const fork = isFork(pr);
  if (fork && config.forks === 'ignore') return 'pull requests from forks get no preview (previews.forks is ignore)';
  const settings = await deps.store.previews.settings(app.name);
  if (!settings.enabled) return 'previews are switched off on the dashboard';
  const name = previewName(pr.number);
  const from = app.environments.find(env => env.name === config.from);
  if (!from) return `previews.from '${config.from}' is not one of its environments`;
  const record: PreviewRecord = {
    pullRequest: pr.number,
    ...pr.title !== undefined && { title: pr.title },
    ...pr.author !== undefined && { author: pr.author },
    fork,
    headRepository: pr.headRepository ?? '(deleted fork)',
    headRef: pr.headRef,
    headSha: pr.headSha,
    from: from.name,
    // A fork's code never sees a secret: its builds read none.
    ...!fork && { secretsFrom: from.name },
  };
  const environment = previewEnvironment(from, config, record);
  const opening = await deps.store.previews.open(app.name, environment, record, previewPosition(pr.number), config.maxConcurrent);
  if (opening.outcome === 'refused') {
    const reason = capReason(app.name, config.maxConcurrent, opening.open);
    deps.log({ message: 'preview refused', application: app.name, environment: name, pullRequest: pr.number, reason });
    await auditWebhook(deps, pr, app.name, name, { status: 409, reason });
    return { application: app.name, environment: name, status: 'refused', reason };
  }
  const env = opening.env;
  if (!env.preview) return `an environment named ${name} exists and is not a preview`;
  if (env.preview.closedAt !== undefined || env.deleting) {
    return `${name} is still being removed after the pull request closed: reopen it once it is gone`;
  }
  if (opening.outcome === 'opened') {
    // preview.created comes from the write itself (the table's stream; local/preview-events.ts).
    deps.log({ message: 'preview created', application: app.name, environment: name, pullRequest: pr.number, fork });
  }
  if (fork && config.forks === 'approve') {
    const head = { headSha: pr.headSha, headRef: pr.headRef, title: pr.title ?? null };
    await deps.store.previews.update(app.name, name, { ...head, awaitingApproval: pr.headSha });
    deps.log({ message: 'preview waits for approval', application: app.name, environment: name, pullRequest: pr.number, commit: pr.headSha });
    return { application: app.name, environment: name, status: 'awaiting-approval', reason: `a fork's commit builds once a deployer approves it (POST /api/apps/${app.name}/environments/${name}/approve)` };
  }
  await deps.store.previews.update(app.name, name, { headSha: pr.headSha, headRef: pr.headRef, title: pr.title ?? null });
  const deployment = await submitDeploy(app, env, pr.headSha, { kind: 'pull_request', actor: webhookActor(pr), deliveryId }, deps);
  return { application: app.name, environment: name, status: 'deploying', deployment: deployment.id };
}

/** closed (merged or not): the preview torn down and removed. A pull request without a preview changes nothing. */
async function closeFor(app: ApplicationRecord, pr: PullRequestEvent, deps: PreviewDeps): Promise<PreviewOutcome | string> {
  const name = previewName(pr.number);
  const env = await deps.store.config.getEnvironment(app.name, name);
  if (!env?.preview) return `${name} does not exist: nothing to remove`;
  if (env.preview.closedAt === undefined) {
    await deps.store.previews.update(app.name, name, { closedAt: deps.clock.now().toISOString() }).catch(ignoreConflict);
  }
  return removePreview(app.name, name, deps, webhookActor(pr));
}

/**
 * A closed preview's next step towards gone: removed at once when it runs nothing; else its
 * teardown asked for (the first, or again after one that did not succeed, MAX_TEARDOWN_ATTEMPTS
 * at most); the finalizer removes it once a teardown succeeded (deployments/deletion.ts).
 */
export async function removePreview(application: string, name: string, deps: PreviewDeps, actor: string): Promise<PreviewOutcome> {
  const env = await deps.store.config.getEnvironment(application, name);
  const at = { application, environment: name };
  if (!env?.preview) return { ...at, status: 'removed' };
  if (env.currentDeploymentId === undefined && env.lockHolder === undefined) {
    // A deploy queued but not yet claimed would find no environment: it is cancelled first.
    await cancelQueued(application, name, deps);
    if (await deps.store.previews.remove(application, name)) {
      deps.log({ message: 'preview removed', ...at, pullRequest: env.preview.pullRequest });
      return { ...at, status: 'removed' };
    }
  }
  const earlier = env.deleting?.teardownId === undefined ? undefined : await deps.store.deployments.get(env.deleting.teardownId);
  if (earlier && !isTerminal(earlier.status)) return { ...at, status: 'tearing-down', deployment: earlier.id };
  // A succeeded teardown left nothing deployed: the finalizer removes it (or the next sweep does, above).
  if (earlier?.status === 'succeeded') return { ...at, status: 'tearing-down', deployment: earlier.id };
  const attempts = env.preview.teardownAttempts ?? 0;
  if (attempts >= MAX_TEARDOWN_ATTEMPTS) {
    return { ...at, status: 'tearing-down', reason: `its teardown did not succeed in ${attempts} attempts: tear it down from the dashboard, or fix what fails` };
  }
  // The attempt is counted first, conditionally: of two sweeps at once only one asks for a teardown.
  try {
    await deps.store.previews.update(application, name, { teardownAttempts: attempts + 1 }, { teardownAttempts: attempts === 0 ? null : attempts });
  } catch (error) {
    if (error instanceof ConflictError) return { ...at, status: 'tearing-down', reason: 'another request asked for its teardown' };
    throw error;
  }
  const mark = { requestedAt: deps.clock.now().toISOString(), requestedBy: actor };
  await deps.store.previews.markDeleting(application, name, env.deleting ?? mark);
  const commit = env.currentCommit ?? (env.lockHolder === undefined ? undefined : (await deps.store.deployments.get(env.lockHolder))?.commit);
  if (commit === undefined) return { ...at, status: 'tearing-down', reason: 'its running deployment is not recorded yet: the next sweep tears it down' };
  const app = await deps.store.config.getApplication(application);
  const teardown = await new DeploymentScheduler(deps.store, deps.clock).submit({
    application,
    environment: name,
    action: 'teardown',
    commit,
    repository: app?.repository,
    branch: env.preview.headRef,
    trigger: { kind: 'pull_request', actor },
  }, deps.queue, 'could not be handed to the launcher; the next sweep asks again');
  await deps.store.previews.markDeleting(application, name, { ...env.deleting ?? mark, teardownId: teardown.id });
  deps.log({ message: 'preview teardown requested', ...at, deployment: teardown.id, attempt: attempts + 1 });
  return { ...at, status: 'tearing-down', deployment: teardown.id };
}

/** End the preview's deployments still queued (none holds the lock yet: nothing of them runs). */
async function cancelQueued(application: string, name: string, deps: PreviewDeps): Promise<void> {
  const { items } = await deps.store.deployments.listByEnvironment(application, name, { limit: 10 });
  for (const deployment of items.filter(item => item.status === 'queued')) {
    await deps.store.deployments.transition(deployment.id, 'cancelled', { reason: 'the pull request closed' }).catch(error => {
      if (!(error instanceof IllegalTransitionError)) throw error;
    });
  }
}

/**
 * Closed previews that still exist get their next step again (removePreview): a teardown that
 * failed is retried, one whose end the finalizer did not act on is finished. Runs at each
 * webhook delivery and each GET /api/apps; never throws (a failure is logged, the next run retries).
 */
export async function sweepPreviews(deps: PreviewDeps): Promise<void> {
  try {
    const apps = await deps.store.config.listApplications();
    for (const app of apps) {
      for (const env of app.environments as readonly EnvironmentRecord[]) {
        if (env.preview?.closedAt === undefined) continue;
        const earlier = env.deleting?.teardownId === undefined ? undefined : await deps.store.deployments.get(env.deleting.teardownId);
        if (earlier && !isTerminal(earlier.status)) continue;
        await removePreview(app.name, env.name, deps, 'trellis');
      }
    }
  } catch (error) {
    deps.log({ message: 'preview sweep failed', error: errorMessage(error) });
  }
}

/**
 * A deployer approves the commit a fork preview waits with: it deploys. The approval clears the
 * wait in a conditional write, so two approvals of one commit deploy it once; a newer push to
 * the fork replaced the commit waiting and needs approval again.
 */
export async function approvePreview(application: string, environment: string, actor: string, deps: PreviewDeps): Promise<Deployment> {
  const app = await deps.store.config.getApplication(application);
  const env = await deps.store.config.getEnvironment(application, environment);
  if (!app || !env) throw new NotFoundError(`environment ${application}/${environment} does not exist`);
  if (!env.preview) throw new ConflictError(`${application}/${environment} is not a pull request's preview: nothing to approve`);
  const waiting = env.preview.awaitingApproval;
  if (waiting === undefined) throw new ConflictError(`${application}/${environment} has no commit waiting for approval`);
  if (env.preview.closedAt !== undefined || env.deleting) throw new ConflictError(`${application}/${environment} is being removed: its pull request closed`);
  try {
    await deps.store.previews.update(application, environment, { awaitingApproval: null }, { awaitingApproval: waiting });
  } catch (error) {
    if (error instanceof ConflictError) throw new ConflictError(`the commit waiting in ${application}/${environment} changed meanwhile: approve again`);
    throw error;
  }
  return submitDeploy(app, env, waiting, { kind: 'pull_request', actor }, deps);
}

async function submitDeploy(app: ApplicationRecord, env: EnvironmentRecord, commit: string, trigger: Deployment['trigger'], deps: PreviewDeps): Promise<Deployment> {
  const preview = env.preview!;
  const request: DeploymentRequest = {
    application: app.name,
    environment: env.name,
    action: 'deploy',
    commit,
    branch: preview.headRef,
    repository: app.repository,
    ...preview.title !== undefined && { commitMessage: preview.title },
    ...preview.author !== undefined && { author: preview.author },
    trigger,
  };
  const deployment = await new DeploymentScheduler(deps.store, deps.clock).submit(request, deps.queue, 'could not be handed to the launcher; push again or redeliver the webhook');
  deps.log({ message: 'preview deploy requested', application: app.name, environment: env.name, deployment: deployment.id, commit, actor: trigger.actor });
  return deployment;
}

/** What the webhook decided on its own (the cap's refusal) goes to the audit trail like a person's action. */
async function auditWebhook(
  deps: PreviewDeps, pr: PullRequestEvent, application: string, environment: string, result: { status: number; reason: string },
): Promise<void> {
  const at = deps.clock.now();
  try {
    await deps.store.audit.record({
      id: newAuditEntryId(),
      at: at.toISOString(),
      actor: webhookActor(pr),
      subject: 'github:pull_request',
      action: 'preview',
      application,
      environment,
      details: [`pull request ${pr.number}`, `action ${pr.action}`],
      result,
    }, auditExpiresAt(at));
  } catch (error) {
    deps.log({ message: 'audit write failed', action: 'preview', application, error: errorMessage(error) });
  }
}

function ignoreConflict(error: unknown): void {
  if (!(error instanceof ConflictError)) throw error;
}
