import { ApiCall } from './api-call';
import { loadEnvironment } from './load';
import { requireAction, requireRole } from './permissions';
import { bodyFields, emptyBody, requiredString } from './request-body';
import { schedule } from './schedule';
import { DeployBody } from '../core/api-types';
import { currentVersion } from '../core/current-version';
import { isDeploymentId } from '../core/deployment-ids';
import { ConflictError, NotFoundError, ValidationError, ValidationIssue } from '../core/errors';
import { HttpResponse, json } from '../core/http';
import * as names from '../core/names';
import { rollbackProblem, rollbackRequest } from '../core/rollback';
import { Deployment } from '../core/types';

/**
 * The environment actions. Each checks the caller's role before reading anything (a caller
 * without it learns nothing), then the body, then the state; each answers 202 with the
 * queued deployment, created and enqueued exactly as a push would be.
 */

/**
 * DeployBody: the newest commit of the environment's branch (a dashboard override wins over the
 * code's branch), of another branch, or one commit by its SHA (of any branch).
 */
export async function deploy({ principal, params, body, deps }: ApiCall): Promise<HttpResponse> {
  requireRole(principal, params.app, 'deployer', 'deploying');
  const target = deployTarget(body);
  const { app, env } = await loadEnvironment(deps.store, params.app, params.env);
  requireAction(principal, app.name, env, 'deploy');
  const branch = target.commit === undefined ? target.branch ?? env.branch : undefined;
  if (target.commit === undefined && branch === undefined) {
    throw new ValidationError([{ path: 'branch', message: `${app.name}/${env.name} tracks no branch: promote to it, name a branch or commit, or set a branch in its settings` }]);
  }
  const commit = await deps.commits.latestCommit(app.repository, target.commit ?? branch!);
  return accepted(await schedule({
    application: app.name,
    environment: env.name,
    action: 'deploy',
    commit: commit.sha,
    branch,
    repository: app.repository,
    commitMessage: commit.message,
    author: commit.author,
    trigger: { kind: 'manual', actor: principal.name },
  }, deps));
}

/** This environment's current version → the next environment; the caller needs the right to act there. */
export async function promote({ principal, params, body, deps }: ApiCall): Promise<HttpResponse> {
  requireRole(principal, params.app, 'deployer', 'promoting');
  emptyBody(body);
  const { app, env, next } = await loadEnvironment(deps.store, params.app, params.env);
  if (!next) throw new ConflictError(`${app.name}/${env.name} is the last environment: there is nothing to promote to`);
  requireAction(principal, app.name, next, 'promote');
  const current = await currentVersion(env, deps.store);
  if (current === undefined) throw new ConflictError(`${app.name}/${env.name} has no deployed version to promote yet`);
  const source = await deps.store.deployments.get(current.deploymentId);
  return accepted(await schedule({
    application: app.name,
    environment: next.name,
    action: 'promote',
    commit: current.commit,
    branch: source?.branch,
    repository: app.repository,
    commitMessage: source?.commitMessage,
    author: source?.author,
    trigger: { kind: 'promotion', actor: principal.name, sourceDeploymentId: current.deploymentId },
  }, deps));
}

/** Back to the commit of an earlier succeeded deployment of this environment. */
export async function rollback({ principal, params, body, deps }: ApiCall): Promise<HttpResponse> {
  requireRole(principal, params.app, 'deployer', 'rolling back');
  const issues: ValidationIssue[] = [];
  const id = requiredString(bodyFields(body, ['deploymentId']), 'deploymentId', issues);
  if (id !== undefined && !isDeploymentId(id)) issues.push({ path: 'deploymentId', message: 'is not a deployment id' });
  if (issues.length > 0 || id === undefined) throw new ValidationError(issues);

  const { app, env } = await loadEnvironment(deps.store, params.app, params.env);
  requireAction(principal, app.name, env, 'rollback');
  const target = await deps.store.deployments.get(id);
  if (!target) throw new NotFoundError(`deployment ${id} does not exist`);
  const problem = rollbackProblem(target, app.name, env.name)
    ?? (target.commit === env.currentCommit ? `deployed commit ${target.commit.slice(0, 12)}, which is the current version already` : undefined);
  if (problem) throw new ValidationError([{ path: 'deploymentId', message: problem }]);
  return accepted(await schedule(rollbackRequest(target, { kind: 'rollback', actor: principal.name }, app.repository), deps));
}

/** Remove everything deployed to the environment; the body repeats its name. */
export async function teardown({ principal, params, body, deps }: ApiCall): Promise<HttpResponse> {
  requireRole(principal, params.app, 'deployer', 'tearing down');
  const issues: ValidationIssue[] = [];
  const confirm = requiredString(bodyFields(body, ['confirm']), 'confirm', issues);
  if (confirm !== undefined && confirm !== params.env) {
    issues.push({ path: 'confirm', message: `must be the environment's name ('${params.env}'), typed again: a teardown removes everything deployed there` });
  }
  if (issues.length > 0) throw new ValidationError(issues);

  const { app, env } = await loadEnvironment(deps.store, params.app, params.env);
  requireAction(principal, app.name, env, 'teardown');
  // The deployed version knows how to remove itself; without one, the branch's newest commit.
  let commit = env.currentCommit;
  let branch: string | undefined;
  if (commit === undefined && env.branch !== undefined) {
    commit = (await deps.commits.latestCommit(app.repository, env.branch)).sha;
    branch = env.branch;
  }
  if (commit === undefined) throw new ConflictError(`${app.name}/${env.name} has no deployed version and tracks no branch: there is no code to tear it down with`);
  return accepted(await schedule({
    application: app.name,
    environment: env.name,
    action: 'teardown',
    commit,
    branch,
    repository: app.repository,
    trigger: { kind: 'manual', actor: principal.name },
  }, deps));
}

/** The body of a deploy: at most one of `branch` (a branch name) and `commit` (a full SHA). */
function deployTarget(body: unknown): DeployBody {
  const fields = bodyFields(body, ['branch', 'commit']);
  const issues: ValidationIssue[] = [];
  const { branch, commit } = fields;
  if (branch !== undefined) {
    const problem = typeof branch === 'string' ? names.branchName(branch) : 'must be a branch name';
    if (problem) issues.push({ path: 'branch', message: problem });
  }
  if (commit !== undefined && (typeof commit !== 'string' || !names.isCommitSha(commit.toLowerCase()))) {
    issues.push({ path: 'commit', message: 'must be a full commit SHA: 40 hexadecimal characters' });
  }
  if (branch !== undefined && commit !== undefined) issues.push({ path: 'commit', message: 'give a branch or a commit, not both' });
  if (issues.length > 0) throw new ValidationError(issues);
  return { branch: branch as string | undefined, commit: (commit as string | undefined)?.toLowerCase() };
}

function accepted(deployment: Deployment): HttpResponse {
  return json(202, deployment);
}
