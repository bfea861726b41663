import { DescribeTasksCommand, ECSClient, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { buildEnvironment, BUILD_INGEST_TOKEN } from '../../contract/build-environment';
import { RUNNER_SETTINGS } from '../../contract/runner-settings';
import { StartedTask, TaskRequest, TaskRunner, TaskState } from '../core/ports';

export interface EcsRunnerConfig {
  readonly cluster: string;
  readonly taskDefinition: string;
  readonly containerName: string;
  readonly subnets: readonly string[];
  readonly securityGroups: readonly string[];
  readonly assignPublicIp: boolean;
}

/**
 * Fargate behind core's TaskRunner: one task per deployment, `startedBy` = deployment id. The
 * deployment id is also RunTask's idempotency token, so a launch repeated after a launcher died
 * mid-RunTask gets the task the first request started instead of a second one (tokens live 24 h).
 */
export class EcsTaskRunner implements TaskRunner {
  constructor(private readonly config: EcsRunnerConfig, private readonly client = new ECSClient({})) {}

  async run(request: TaskRequest): Promise<StartedTask> {
    // Never the task definition's own role: a build holds its environment's keys or none.
    if (!request.taskRoleArn) throw new Error(`no build role for ${request.application}/${request.environment}: its configuration has no buildRoleArn (deploy the TrellisPipeline stack again)`);
    const result = await this.client.send(new RunTaskCommand({
      cluster: this.config.cluster,
      taskDefinition: this.config.taskDefinition,
      launchType: 'FARGATE',
      count: 1,
      startedBy: request.deploymentId,
      clientToken: request.deploymentId,
      propagateTags: 'TASK_DEFINITION',
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: [...this.config.subnets],
          securityGroups: [...this.config.securityGroups],
          assignPublicIp: this.config.assignPublicIp ? 'ENABLED' : 'DISABLED',
        },
      },
      overrides: {
        taskRoleArn: request.taskRoleArn,
        containerOverrides: [{
          name: this.config.containerName,
          environment: [...buildEnvironment(request), { name: BUILD_INGEST_TOKEN, value: request.ingestToken }],
        }],
      },
    }));
    const task = result.tasks?.[0];
    const taskArn = task?.taskArn;
    if (!taskArn) {
      const reasons = (result.failures ?? []).map(failure => [failure.reason, failure.detail].filter(Boolean).join(': '));
      throw new Error(`ECS RunTask started no task${reasons.length ? ` (${reasons.join('; ')})` : ''}`);
    }
    // A repeated RunTask answers with the first request's task: its token is the one that counts.
    const override = task?.overrides?.containerOverrides?.find(c => c.name === this.config.containerName);
    // (ECS always answers with the overrides; without them, this request's token is the best guess.)
    const ingestToken = override?.environment?.find(variable => variable.name === BUILD_INGEST_TOKEN)?.value ?? request.ingestToken;
    return { taskId: taskArn, ingestToken };
  }

  async stop(taskId: string, reason: string): Promise<void> {
    await this.client.send(new StopTaskCommand({ cluster: this.config.cluster, task: taskId, reason: reason.slice(0, 255) }));
  }

  async describe(taskId: string): Promise<TaskState | undefined> {
    const result = await this.client.send(new DescribeTasksCommand({ cluster: this.config.cluster, tasks: [taskId] }));
    const task = result.tasks?.[0];
    if (!task) return undefined;
    const container = task.containers?.find(c => c.name === this.config.containerName);
    return { taskId, running: task.lastStatus !== 'STOPPED', exitCode: container?.exitCode, stopReason: task.stoppedReason };
  }
}

export function ecsRunnerFromEnvironment(env: NodeJS.ProcessEnv = process.env): EcsTaskRunner {
  const list = (name: string) => (env[name] ?? '').split(',').filter(Boolean);
  return new EcsTaskRunner({
    cluster: env[RUNNER_SETTINGS.cluster]!,
    taskDefinition: env[RUNNER_SETTINGS.taskDefinition]!,
    containerName: env[RUNNER_SETTINGS.containerName]!,
    subnets: list(RUNNER_SETTINGS.subnets),
    securityGroups: list(RUNNER_SETTINGS.securityGroups),
    assignPublicIp: env[RUNNER_SETTINGS.assignPublicIp] === 'true',
  });
}
