/**
 * Environment variable names the BuildServer construct sets on the launcher and finalizer.
 * A module of its own, free of the AWS SDK: the construct library (lib/index.js) loads it,
 * and the SDK is a devDependency that only the bundled handlers carry.
 */
export const RUNNER_SETTINGS = {
  cluster: 'CLUSTER_ARN',
  taskDefinition: 'TASK_DEFINITION_ARN',
  containerName: 'CONTAINER_NAME',
  subnets: 'SUBNET_IDS',
  securityGroups: 'SECURITY_GROUP_IDS',
  assignPublicIp: 'ASSIGN_PUBLIC_IP',
} as const;
