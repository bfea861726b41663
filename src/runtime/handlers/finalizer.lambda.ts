import type { EventBridgeEvent } from 'aws-lambda';
import { logJson } from './json-log';
import { RUNNER_FUNCTION_ENV } from '../../contract/function-environment';
import { RUNNER_SETTINGS } from '../../contract/runner-settings';
import { ecsRunnerFromEnvironment } from '../aws/ecs-task-runner';
import { withDeploymentMetrics } from '../core/deployment-metrics';
import { finalizeTask } from '../deployments/finalize';
import { createDynamoStore } from '../store/dynamo-store';
import { tableContext } from '../store/table-context';

const log = logJson;
// Every deployment that ends here (or starts and fails) is logged and counted once (metrics.ts).
const store = withDeploymentMetrics(createDynamoStore(tableContext(process.env[RUNNER_FUNCTION_ENV.tableName]!)), {
  installation: process.env[RUNNER_FUNCTION_ENV.installation]!,
  log,
});
const runner = ecsRunnerFromEnvironment();
const containerName = process.env[RUNNER_SETTINGS.containerName]!;

interface EcsTaskStateChange {
  readonly taskArn: string;
  readonly startedBy?: string;
  readonly lastStatus: string;
  readonly stoppedReason?: string;
  readonly containers?: ReadonlyArray<{ readonly name: string; readonly exitCode?: number }>;
}

/** EventBridge "ECS Task State Change" (STOPPED, this cluster) → terminal status → next launch. */
export async function handler(event: EventBridgeEvent<'ECS Task State Change', EcsTaskStateChange>): Promise<void> {
  const task = event.detail;
  if (task.lastStatus !== 'STOPPED' || !task.startedBy) return;
  const result = await finalizeTask({
    taskId: task.taskArn,
    deploymentId: task.startedBy,
    exitCode: task.containers?.find(container => container.name === containerName)?.exitCode,
    stopReason: task.stoppedReason,
  }, { store, runner, log });
  log({ message: 'task stopped', task: task.taskArn, deployment: task.startedBy, ...result });
}
