import { errorMessage } from './errors';
import { DEPLOYMENT_DIMENSION_SETS, METRIC_DIMENSIONS, METRIC_NAMES, MetricValue, metricRecord } from './metrics';
import { DeploymentStore, Store } from './ports';
import { isTerminal } from './state-machine';
import { Deployment } from './types';

export interface DeploymentMetricsOptions {
  /** The Installation dimension: the installation's name. */
  readonly installation: string;
  /** Where the line goes (stdout in Lambda, where CloudWatch Logs reads EMF). */
  readonly log: (entry: Record<string, unknown>) => void;
}

/**
 * The log line of a deployment that reached a final status. Succeeded and failed deployments
 * are counted (DeploymentsSucceeded, DeploymentsFailed) per installation, application and
 * environment, and a succeeded one's run time is DeploymentDuration; cancelled and superseded
 * ones are logged without a metric: a person's decision or a newer push, not the health of
 * the deliveries (and every metric is billed in a month it has data).
 */
export function deploymentFinishedRecord(deployment: Deployment, installation: string): Record<string, unknown> {
  const finishedAt = Date.parse(deployment.finishedAt ?? deployment.updatedAt);
  const startedAt = deployment.startedAt === undefined ? undefined : Date.parse(deployment.startedAt);
  const durationSeconds = startedAt === undefined ? undefined : Math.max(0, (finishedAt - startedAt) / 1000);
  const properties = {
    message: 'deployment finished',
    deployment: deployment.id,
    status: deployment.status,
    action: deployment.action,
    ...durationSeconds !== undefined && { durationSeconds },
  };
  const metrics: MetricValue[] = [];
  if (deployment.status === 'succeeded') {
    metrics.push({ name: METRIC_NAMES.deploymentsSucceeded, unit: 'Count', value: 1 });
    if (durationSeconds !== undefined) metrics.push({ name: METRIC_NAMES.deploymentDuration, unit: 'Seconds', value: durationSeconds });
  } else if (deployment.status === 'failed') {
    metrics.push({ name: METRIC_NAMES.deploymentsFailed, unit: 'Count', value: 1 });
  }
  const dimensions = {
    [METRIC_DIMENSIONS.installation]: installation,
    [METRIC_DIMENSIONS.application]: deployment.application,
    [METRIC_DIMENSIONS.environment]: deployment.environment,
  };
  if (metrics.length === 0) return { ...properties, ...dimensions };
  return metricRecord({ timestamp: finishedAt, metrics, dimensions, dimensionSets: DEPLOYMENT_DIMENSION_SETS, properties });
}

/**
 * The store, with a `deployment finished` line (and its metrics) for every deployment that reaches
 * a final status. Every final status is written by `transition`, a conditional write that only one
 * writer wins (a repeated event or a racing copy gets IllegalTransitionError): so each deployment
 * is counted once, whichever path ended it (the finalizer, a cancel, a launch that failed, a
 * superseded request, a queue that refused it).
 */
export function withDeploymentMetrics(store: Store, options: DeploymentMetricsOptions): Store {
  const inner = store.deployments;
  const deployments: DeploymentStore = {
    create: deployment => inner.create(deployment),
    get: id => inner.get(id),
    listByEnvironment: (app, env, page) => inner.listByEnvironment(app, env, page),
    transition: async (id, to, details) => {
      const moved = await inner.transition(id, to, details);
      if (isTerminal(moved.status)) logFinished(moved, options);
      return moved;
    },
    attachTask: (id, taskId, hash) => inner.attachTask(id, taskId, hash),
    logBinding: id => inner.logBinding(id),
    ingestToken: (id, candidate) => inner.ingestToken(id, candidate),
    keepGitHubDeployment: (id, githubDeploymentId) => inner.keepGitHubDeployment(id, githubDeploymentId),
    claimEnvironment: (app, env, deployment, claim) => inner.claimEnvironment(app, env, deployment, claim),
    releaseEnvironment: (app, env, holder, version) => inner.releaseEnvironment(app, env, holder, version),
  };
  return { ...store, deployments };
}

/** The status is written: a line that cannot be made (a programming error) must not undo the caller's work. */
function logFinished(deployment: Deployment, options: DeploymentMetricsOptions): void {
  try {
    options.log(deploymentFinishedRecord(deployment, options.installation));
  } catch (error) {
    options.log({ message: 'deployment finished; its metrics could not be written', deployment: deployment.id, status: deployment.status, error: errorMessage(error) });
  }
}
