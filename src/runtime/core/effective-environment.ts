import { SettingSource, SettingsBody } from './api-types';
import { EnvironmentConfig, EnvironmentOverrides, EnvironmentState } from './types';

/**
 * The precedence rule, in one place: a dashboard override wins over the code's value until
 * it is cleared; configuration sync from code never touches overrides. Stores return
 * environments through this, so the builder, push routing and the API see the same values.
 */
export function effectiveEnvironment<T extends EnvironmentConfig & EnvironmentState>(record: T): T {
  const overrides = record.overrides;
  if (!overrides) return record;
  return {
    ...record,
    ...overrides.branch !== undefined && { branch: overrides.branch },
    ...overrides.runTests !== undefined && { runTests: overrides.runTests },
    ...overrides.testCommand !== undefined && { testCommand: overrides.testCommand },
    ...overrides.variables !== undefined && { variables: { ...record.variables, ...overrides.variables } },
  };
}

/** Where each runtime-changeable setting's value comes from. */
export function settingSources(overrides: EnvironmentOverrides | undefined): {
  branch: SettingSource; runTests: SettingSource; testCommand: SettingSource; variables: SettingSource;
} {
  const source = (overridden: boolean): SettingSource => overridden ? 'dashboard' : 'code';
  return {
    branch: source(overrides?.branch !== undefined),
    runTests: source(overrides?.runTests !== undefined),
    testCommand: source(overrides?.testCommand !== undefined),
    variables: source(Object.keys(overrides?.variables ?? {}).length > 0),
  };
}

/** The settings a dashboard change may override: a value sets the override, `null` clears it. */
export type OverrideChanges = Pick<SettingsBody, 'branch' | 'runTests' | 'testCommand' | 'variables'>;

/** `current` with `changes` applied; fields and variables not named in `changes` stay as they are. */
export function changeOverrides(current: EnvironmentOverrides | undefined, changes: OverrideChanges): EnvironmentOverrides {
  const pick = <V>(change: V | null | undefined, kept: V | undefined): V | undefined =>
    change === null ? undefined : change ?? kept;
  // A Map, so no name (not even `__proto__`) is mistaken for anything but a key.
  const variables = new Map(Object.entries(current?.variables ?? {}));
  for (const [name, value] of Object.entries(changes.variables ?? {})) {
    if (value === null) variables.delete(name);
    else variables.set(name, value);
  }
  const result: { -readonly [K in keyof EnvironmentOverrides]: EnvironmentOverrides[K] } = {};
  const branch = pick(changes.branch, current?.branch);
  const runTests = pick(changes.runTests, current?.runTests);
  const testCommand = pick(changes.testCommand, current?.testCommand);
  if (branch !== undefined) result.branch = branch;
  if (runTests !== undefined) result.runTests = runTests;
  if (testCommand !== undefined) result.testCommand = [...testCommand];
  if (variables.size > 0) result.variables = Object.fromEntries(variables);
  return result;
}
