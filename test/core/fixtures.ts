import { EnvironmentConfig, FrameworkConfig, HealthCheckConfig } from '../../src/runtime/core/types';

/** A valid development environment tracking main; override what a test is about. */
export function env(overrides: Partial<EnvironmentConfig> = {}): EnvironmentConfig {
  return {
    name: 'dev',
    kind: 'development',
    branch: 'main',
    autoDeploy: true,
    runTests: true,
    testCommand: ['npm', 'test'],
    variables: {},
    protected: false,
    ...overrides,
  };
}

/** Every field of every configuration object set: a field added to a type does not compile here until it is added. */
export const FULL_HEALTH_CHECK: Required<HealthCheckConfig> = {
  url: 'https://api.example.com/health', stackOutput: 'ApiUrl', minStatus: 200, maxStatus: 299, timeoutSeconds: 5, retries: 2, intervalSeconds: 1,
};
export const FULL_FRAMEWORK: Required<FrameworkConfig> = {
  kind: 'custom',
  install: ['npm', 'ci'],
  build: ['npm', 'run', 'build'],
  deploy: ['npm', 'run', 'deploy'],
  remove: ['npm', 'run', 'remove'],
  artifact: ['dist', 'package.json'],
};
export const FULL_ENVIRONMENT: Required<EnvironmentConfig> = {
  name: 'dev',
  kind: 'development',
  branch: 'main',
  autoDeploy: true,
  runTests: true,
  testCommand: ['npm', 'test'],
  region: 'eu-west-1',
  account: '111122223333',
  deployRoleArn: 'arn:aws:iam::111122223333:role/deploy',
  buildRoleArn: 'arn:aws:iam::111122223333:role/build',
  variables: { LOG_LEVEL: 'debug', testComand: 'a variable may have any name', framework: 'x' },
  protected: false,
  framework: FULL_FRAMEWORK,
  dependencyCache: false,
  nodeVersion: '18',
  stacks: ['shop-{stage}-*', 'SharedStack'],
  rootDirectory: 'services/api',
  healthCheck: { url: FULL_HEALTH_CHECK.url, minStatus: 200, maxStatus: 299, timeoutSeconds: 5, retries: 2, intervalSeconds: 1 },
};
