import { EnvironmentConfig } from '../../src/runtime/core/types';

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
