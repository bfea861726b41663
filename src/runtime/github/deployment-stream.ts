import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { DeploymentReporterDeps, reportDeployment } from './deployment-reporter';
import { keys } from '../../contract/table-schema';
import { errorMessage } from '../core/errors';
import { Store } from '../core/ports';
import { DeploymentStatus } from '../core/types';
import { commentOnPreview } from '../previews/preview-comments';

export interface DeploymentStreamDeps extends Omit<DeploymentReporterDeps, 'deployments'> {
  readonly store: Pick<Store, 'deployments' | 'config' | 'previews'>;
}

/** A deployment item that changed status, as a stream record shows it. */
interface StatusChange {
  readonly id: string;
  readonly status: DeploymentStatus;
}

const DEPLOYMENT_KEY_PREFIX = keys.deployment('').PK;

/**
 * The table's stream (each changed deployment item) → GitHub reports. A record whose status did not
 * change (a phase, the task, the GitHub Deployment's id written) or that is not a deployment
 * item is ignored. The deployment is read again (consistently): a record whose status is no longer
 * the deployment's is skipped, the later record reports where it went. GitHub failures are the
 * reporter's (retried, logged, never thrown); only a failed read of the table is answered as a
 * batch item failure, for the event source mapping's bounded retries.
 */
export async function reportDeploymentStream(event: DynamoDBStreamEvent, deps: DeploymentStreamDeps): Promise<DynamoDBBatchResponse> {
  const batchItemFailures: DynamoDBBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    const change = statusChange(record);
    if (!change) continue;
    try {
      const deployment = await deps.store.deployments.get(change.id);
      if (deployment?.status !== change.status) continue;
      const environment = await deps.store.config.getEnvironment(deployment.application, deployment.environment);
      const result = await reportDeployment(deployment, environment, { ...deps, deployments: deps.store.deployments });
      const comment = await commentOnPreview(deployment, deps);
      deps.log({ message: 'deployment reported to github', deployment: deployment.id, status: deployment.status, ...result, comment });
    } catch (error) {
      deps.log({ message: 'deployment not reported to github: the table could not be read', deployment: change.id, error: errorMessage(error) });
      if (record.dynamodb?.SequenceNumber) batchItemFailures.push({ itemIdentifier: record.dynamodb.SequenceNumber });
    }
  }
  return { batchItemFailures };
}

/**
 * The deployment id and new status of a record of a deployment item whose status changed; the
 * old image (NEW_AND_OLD_IMAGES) says whether it did. With NEW_IMAGE alone every change of the
 * item is taken as one (reported again: harmless, but noisy).
 */
export function statusChange(record: DynamoDBRecord): StatusChange | undefined {
  if (record.eventName !== 'INSERT' && record.eventName !== 'MODIFY') return undefined;
  const pk = record.dynamodb?.Keys?.PK?.S;
  if (pk === undefined || !pk.startsWith(DEPLOYMENT_KEY_PREFIX)) return undefined;
  const id = pk.slice(DEPLOYMENT_KEY_PREFIX.length);
  if (record.dynamodb?.Keys?.SK?.S !== keys.deployment(id).SK) return undefined;
  const status = record.dynamodb?.NewImage?.status?.S;
  if (status === undefined || status === record.dynamodb?.OldImage?.status?.S) return undefined;
  return { id, status: status as DeploymentStatus };
}
