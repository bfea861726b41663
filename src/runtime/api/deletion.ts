import { ApiCall, ApiDeps } from './api-call';
import { LoadedApplication } from './load';
import { bodyFields, requiredString } from './request-body';
import { schedule } from './schedule';
import { Principal } from '../core/access';
import { DeletionResult } from '../core/api-types';
import { ConflictError, ValidationError, ValidationIssue } from '../core/errors';
import { HttpResponse, json } from '../core/http';
import { DeleteOptions } from '../core/ports';
import { isTerminal } from '../core/state-machine';
import { DeletionMark, EnvironmentRecord } from '../core/types';

/**
 * Deleting a dashboard-made application or environment: what it deployed is torn down first.
 * Each environment that runs something (a current version, or a deployment holding its lock)
 * gets a teardown deployment and is marked `deleting` (no other deployment starts there any
 * more); the finalizer deletes its configuration once that teardown succeeded
 * (deployments/deletion.ts). Nothing deployed: deleted at once.
 */

/** The body's options; throws a ValidationError unless it repeats `name` in `confirm`. */
export function requireConfirmation(body: unknown, name: string, what: 'application' | 'environment'): DeleteOptions {
  const issues: ValidationIssue[] = [];
  const fields = bodyFields(body, ['confirm', 'keepDeployed']);
  const confirm = requiredString(fields, 'confirm', issues);
  if (confirm !== undefined && confirm !== name) {
    issues.push({ path: 'confirm', message: `must be the ${what}'s name ('${name}'), typed again: deleting it tears down everything it deployed` });
  }
  if (fields.keepDeployed !== undefined && typeof fields.keepDeployed !== 'boolean') issues.push({ path: 'keepDeployed', message: 'must be true or false' });
  if (issues.length > 0) throw new ValidationError(issues);
  return { keepDeployed: fields.keepDeployed === true };
}

/** 409 for a code-defined application: the dashboard neither deletes nor extends it. */
export function refuseCodeDefined(app: LoadedApplication, what: string): void {
  if (app.origin !== 'dashboard') {
    throw new ConflictError(`${what}: application ${app.name} is defined in code (TrellisPipeline applications): change it there`);
  }
}

/** Delete `envs` of `app` (all of them with `whole`, and then the application): 200 when done, 202 with the teardowns it waits for. */
export async function tearDownAndDelete(
  app: LoadedApplication,
  envs: readonly EnvironmentRecord[],
  whole: boolean,
  { principal, deps }: Pick<ApiCall, 'principal' | 'deps'>,
  options: DeleteOptions = {},
): Promise<HttpResponse> {
  const subject = whole ? { application: app.name } : { application: app.name, environment: envs[0].name };
  if (options.keepDeployed) return deleteKeepingDeployed(app, envs, whole, { principal, deps });
  const deployed = envs.filter(runsSomething);
  if (deployed.length === 0) {
    if (whole) await deps.store.config.deleteApplication(app.name);
    else await deps.store.config.deleteEnvironment(app.name, envs[0].name);
    deps.log({ message: whole ? 'application deleted' : 'environment deleted', ...subject, actor: principal.name });
    return json(200, { status: 'deleted', teardowns: [] } satisfies DeletionResult);
  }
  const mark: DeletionMark = { requestedAt: deps.clock.now().toISOString(), requestedBy: principal.name };
  if (whole) await deps.store.config.markDeleting(app.name, undefined, mark);
  // Every environment going is marked before any teardown starts: from here no deployment starts in one.
  for (const env of envs) {
    if (!env.deleting) await deps.store.config.markDeleting(app.name, env.name, mark);
  }
  const teardowns: string[] = [];
  for (const env of deployed) teardowns.push(await teardownOf(app, env, mark, principal, deps));
  deps.log({ message: 'deletion waits for teardowns', ...subject, teardowns, actor: principal.name });
  return json(202, { status: 'tearing-down', teardowns } satisfies DeletionResult);
}

/**
 * Deleted now, what was deployed left running (said in the log and the answer): the way out when
 * a teardown cannot succeed. A deployment under way (a teardown included) must end first.
 */
async function deleteKeepingDeployed(
  app: LoadedApplication,
  envs: readonly EnvironmentRecord[],
  whole: boolean,
  { principal, deps }: Pick<ApiCall, 'principal' | 'deps'>,
): Promise<HttpResponse> {
  const busy: string[] = [];
  for (const env of envs) if (await underWay(env, deps)) busy.push(env.name);
  if (busy.length > 0) throw new ConflictError(`a deployment is under way in ${busy.map(name => `${app.name}/${name}`).join(', ')}: wait for it to end, or cancel it`);
  if (whole) await deps.store.config.deleteApplication(app.name, { keepDeployed: true });
  else await deps.store.config.deleteEnvironment(app.name, envs[0].name, { keepDeployed: true });
  const leftDeployed = envs.filter(env => env.currentDeploymentId !== undefined).map(env => env.name);
  deps.log({ message: 'deleted without a teardown: what it deployed is left running', application: app.name, leftDeployed, actor: principal.name });
  return json(200, { status: 'deleted', teardowns: [], leftDeployed } satisfies DeletionResult);
}

/** A deployment holds or waits for the lock, or the deletion's teardown is queued and has not ended. */
async function underWay(env: EnvironmentRecord, deps: ApiDeps): Promise<boolean> {
  if (env.lockHolder !== undefined || env.pending !== undefined) return true;
  const teardown = env.deleting?.teardownId === undefined ? undefined : await deps.store.deployments.get(env.deleting.teardownId);
  return teardown !== undefined && !isTerminal(teardown.status);
}

function runsSomething(env: EnvironmentRecord): boolean {
  return env.currentDeploymentId !== undefined || env.lockHolder !== undefined;
}

/** The teardown the environment's deletion waits for: the one under way, or a new one (the first, or a retry of one that did not succeed). */
async function teardownOf(app: LoadedApplication, env: EnvironmentRecord, mark: DeletionMark, principal: Principal, deps: ApiDeps): Promise<string> {
  const earlier = env.deleting?.teardownId === undefined ? undefined : await deps.store.deployments.get(env.deleting.teardownId);
  if (earlier && !isTerminal(earlier.status)) return earlier.id;
  // The deployed version knows how to remove itself; a first deployment still running: the version it deploys.
  const commit = env.currentCommit ?? (env.lockHolder === undefined ? undefined : (await deps.store.deployments.get(env.lockHolder))?.commit);
  if (commit === undefined) throw new ConflictError(`${app.name}/${env.name} runs a deployment that is not recorded: try again in a moment`);
  const teardown = await schedule({
    application: app.name,
    environment: env.name,
    action: 'teardown',
    commit,
    repository: app.repository,
    trigger: { kind: 'manual', actor: principal.name },
  }, deps);
  await deps.store.config.markDeleting(app.name, env.name, { ...env.deleting ?? mark, teardownId: teardown.id });
  return teardown.id;
}
