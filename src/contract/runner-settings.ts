/**
 * What the BuildServer construct sets on the launcher and finalizer (both start builds): the
 * environment variable names of the task to run, and their timeout.
 */
export const RUNNER_SETTINGS = {
  cluster: 'CLUSTER_ARN',
  taskDefinition: 'TASK_DEFINITION_ARN',
  containerName: 'CONTAINER_NAME',
  subnets: 'SUBNET_IDS',
  securityGroups: 'SECURITY_GROUP_IDS',
  assignPublicIp: 'ASSIGN_PUBLIC_IP',
} as const;

/**
 * The launcher's and the finalizer's timeout (both start builds). An invocation that wrote
 * something at T started before T, so it is over by T + this: a deployment it marked running
 * this long ago without a task is stranded (`stranded` in runtime/deployments/launch.ts).
 */
export const LAUNCH_TIMEOUT_SECONDS = 60;
