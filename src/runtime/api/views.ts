import { ApiDeps } from './api-call';
import { LoadedApplication } from './load';
import { mayAct } from './permissions';
import { secretNames } from '../../contract/secret-names';
import { Principal, hasRole } from '../core/access';
import { ApplicationView, DeletionView, EnvironmentView, PreviewView, PreviewsView } from '../core/api-types';
import { settingSources } from '../core/effective-environment';
import { isTerminal } from '../core/state-machine';
import { DeletionMark, Deployment, EnvironmentRecord, PreviewRecord, PreviewsConfig } from '../core/types';

/** What an environment's view is built from. */
export interface EnvironmentFacts {
  readonly application: string;
  readonly env: EnvironmentRecord;
  readonly next?: EnvironmentRecord;
  readonly lastDeployment?: Deployment;
  /** Names of the environment's secret variables (never their values). */
  readonly secretNames: readonly string[];
}

/**
 * A record → the API's EnvironmentView, field by field: nothing the contract does not name
 * (raw overrides, deploy role) leaves the store, and secrets are names only. The lock shows as
 * the ids of the active and the waiting deployment, which any reader may see anyway.
 */
export function environmentView(facts: EnvironmentFacts, principal: Principal): EnvironmentView {
  const { application, env, next } = facts;
  return {
    name: env.name,
    kind: env.kind,
    position: env.position,
    branch: env.branch,
    autoDeploy: env.autoDeploy,
    protected: env.protected,
    runTests: env.runTests,
    testCommand: [...env.testCommand],
    region: env.region,
    account: env.account,
    variables: { ...env.variables },
    secrets: [...facts.secretNames].sort().map(name => ({ name, set: true as const })),
    sources: settingSources(env.overrides),
    currentCommit: env.currentCommit,
    currentDeploymentId: env.currentDeploymentId,
    lastDeployment: facts.lastDeployment,
    activeDeploymentId: env.lockHolder,
    waitingDeploymentId: env.pending,
    deleting: env.deleting && deletionView(env.deleting, facts.lastDeployment),
    // Buttons the caller can use now: the role, and whether the action has something to act on.
    allowed: {
      deploy: mayAct(principal, application, env) && env.branch !== undefined,
      promote: next !== undefined && env.currentDeploymentId !== undefined && mayAct(principal, application, next),
      rollback: mayAct(principal, application, env),
      teardown: mayAct(principal, application, env),
      settings: hasRole(principal, application, 'admin'),
      ...env.preview && { approve: approvable(env.preview) && mayAct(principal, application, env) },
    },
    ...env.preview && { preview: previewView(env.preview) },
  };
}

/** A fork's commit waits for approval, and its pull request is open. */
function approvable(preview: PreviewRecord): boolean {
  return preview.awaitingApproval !== undefined && preview.closedAt === undefined;
}

function previewView(preview: PreviewRecord): PreviewView {
  return {
    pullRequest: preview.pullRequest,
    title: preview.title,
    author: preview.author,
    fork: preview.fork,
    headRef: preview.headRef,
    headSha: preview.headSha,
    from: preview.from,
    awaitingApproval: preview.awaitingApproval,
    closedAt: preview.closedAt,
  };
}

/** The deletion mark, with why its teardown failed when the newest deployment is that teardown and it did not succeed. */
function deletionView(mark: DeletionMark, last: Deployment | undefined): DeletionView {
  const teardown = last !== undefined && last.id === mark.teardownId ? last : undefined;
  const failed = teardown && isTerminal(teardown.status) && teardown.status !== 'succeeded';
  return { ...mark, ...failed && { failure: `the teardown ${teardown.status === 'failed' ? 'failed' : `was ${teardown.status}`}${teardown.reason ? `: ${teardown.reason}` : ''}` } };
}

/** Reads what every environment's view needs (newest deployment, secret names) in parallel. */
export async function applicationView(app: LoadedApplication, principal: Principal, deps: ApiDeps): Promise<ApplicationView> {
  const environments = await Promise.all(app.environments.map((env, index) =>
    loadEnvironmentView(app, env, app.environments[index + 1], principal, deps)));
  const previews = app.previews && await previewsView(app, app.previews, principal, deps);
  return { name: app.name, repository: app.repository, origin: app.origin ?? 'code', deleting: app.deleting, environments, ...previews && { previews } };
}

/** The application's previews: its configuration, the dashboard's switch, and each preview environment. */
export async function previewsView(app: LoadedApplication, config: PreviewsConfig, principal: Principal, deps: ApiDeps): Promise<PreviewsView> {
  const [settings, environments] = await Promise.all([
    deps.store.previews.settings(app.name),
    Promise.all([...app.previewEnvironments].sort((a, b) => a.position - b.position)
      .map(env => loadEnvironmentView(app, env, undefined, principal, deps))),
  ]);
  return { from: config.from, forks: config.forks, maxConcurrent: config.maxConcurrent, enabled: settings.enabled, environments };
}

export async function loadEnvironmentView(
  app: LoadedApplication,
  env: EnvironmentRecord,
  next: EnvironmentRecord | undefined,
  principal: Principal,
  deps: ApiDeps,
  knownSecretNames?: readonly string[],
): Promise<EnvironmentView> {
  const [latest, names] = await Promise.all([
    deps.store.deployments.listByEnvironment(app.name, env.name, { limit: 1 }),
    knownSecretNames ?? deps.secrets.names(secretNames.environment(deps.installation, app.name, env.name)),
  ]);
  return environmentView({ application: app.name, env, next, lastDeployment: latest.items[0], secretNames: names }, principal);
}
