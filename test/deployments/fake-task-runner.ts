import { StartedTask, TaskRequest, TaskRunner, TaskState } from '../../src/runtime/core';

/** ECS cannot run here: a TaskRunner that records what it was asked and can refuse. */
export class FakeTaskRunner implements TaskRunner {
  readonly runs: TaskRequest[] = [];
  /** Deployment ids whose run() came again and got the task already started. */
  readonly repeatedRuns: string[] = [];
  readonly stops: Array<{ taskId: string; reason: string }> = [];
  /** Deployment ids whose task is running right now (started, not yet reported stopped). */
  readonly active = new Set<string>();
  maxActivePerEnvironment = 0;
  failNext?: string;

  async run(request: TaskRequest): Promise<StartedTask> {
    // RunTask with the deployment id as client token: a repeat answers with the first task,
    // which has the first request's overrides (its ingest token).
    const first = this.runs.find(r => r.deploymentId === request.deploymentId);
    // As ECS does: the same client token with other parameters is a conflict, not the first task.
    if (first && JSON.stringify(first) !== JSON.stringify(request)) {
      throw Object.assign(new Error(`RunTask for ${request.deploymentId} repeated with different parameters`), { name: 'ConflictException' });
    }
    if (first) {
      this.repeatedRuns.push(request.deploymentId);
      return { taskId: taskArn(request.deploymentId), ingestToken: first.ingestToken };
    }
    if (this.failNext) {
      const reason = this.failNext;
      this.failNext = undefined;
      throw new Error(reason);
    }
    this.runs.push(request);
    this.active.add(request.deploymentId);
    const sameEnv = [...this.active].filter(id => this.runs.find(r => r.deploymentId === id)?.environment === request.environment);
    this.maxActivePerEnvironment = Math.max(this.maxActivePerEnvironment, sameEnv.length);
    return { taskId: taskArn(request.deploymentId), ingestToken: request.ingestToken };
  }

  async stop(taskId: string, reason: string): Promise<void> {
    this.stops.push({ taskId, reason });
  }

  async describe(taskId: string): Promise<TaskState | undefined> {
    return { taskId, running: this.runs.some(r => taskArn(r.deploymentId) === taskId) };
  }

  /** The task of `deploymentId` stopped (the finalizer will be told). */
  stopped(deploymentId: string): void {
    this.active.delete(deploymentId);
  }
}

export function taskArn(deploymentId: string): string {
  return `arn:aws:ecs:eu-west-1:111122223333:task/trellis/${deploymentId.replace(/\W/g, '')}`;
}
