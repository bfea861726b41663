import { ApplicationConfig, EnvironmentConfig, FrameworkConfig, HealthCheckConfig, PreviewsConfig } from './types';

/**
 * The keys of each configuration object, checked by the compiler against its type: a field added
 * to a type (or removed) does not compile until it is added here (or removed), so the parser
 * never refuses a real field or accepts a stale one. Unknown keys are refused (unknown-keys.ts).
 */
/** The object literal must have exactly the keys of T (a missing or an extra key is a compile error). */
export const keysOf = <T>(keys: Record<keyof T, true>): readonly (keyof T & string)[] => Object.keys(keys) as (keyof T & string)[];

export const APPLICATION_KEYS = keysOf<ApplicationConfig>({
  name: true, repository: true, rootDirectory: true, environments: true, notifications: true, previews: true,
});

export const PREVIEWS_KEYS = keysOf<PreviewsConfig>({
  from: true, forks: true, maxConcurrent: true, buildRoleArn: true, forkBuildRoleArn: true,
});

export const ENVIRONMENT_KEYS = keysOf<EnvironmentConfig>({
  name: true,
  kind: true,
  branch: true,
  autoDeploy: true,
  runTests: true,
  testCommand: true,
  region: true,
  account: true,
  deployRoleArn: true,
  buildRoleArn: true,
  variables: true,
  protected: true,
  framework: true,
  dependencyCache: true,
  nodeVersion: true,
  stacks: true,
  rootDirectory: true,
  healthCheck: true,
});

export const FRAMEWORK_KEYS = keysOf<FrameworkConfig>({
  kind: true, install: true, build: true, deploy: true, remove: true, artifact: true,
});

export const HEALTH_CHECK_KEYS = keysOf<HealthCheckConfig>({
  url: true, stackOutput: true, minStatus: true, maxStatus: true, timeoutSeconds: true, retries: true, intervalSeconds: true,
});
