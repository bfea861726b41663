import { LoadedApplication } from './load';
import { MAX_ENTRIES, overrideChanges } from './settings-body';
import { SettingsBody } from '../core/api-types';
import { validateApplication, validateEnvironment } from '../core/config-validation';
import { changeOverrides, effectiveEnvironment } from '../core/effective-environment';
import { ValidationIssue, formatIssue } from '../core/errors';
import { printable } from '../core/names';
import { EnvironmentConfig, EnvironmentRecord } from '../core/types';

const PATH = 'settings';

/**
 * The rules of code-defined configuration (config-validation) applied to the application as
 * it would be after the change (so a branch cannot make two environments race on one push),
 * reported for this environment; plus the dashboard's own: a name is a variable or a secret,
 * not both, and at most MAX_ENTRIES of each.
 *
 * Values being cleared go back to the code's value, which passed these rules at synth; a
 * cleared variable counts as gone (the record holds the effective values, so whether code
 * defines the same name is not known here).
 */
export function settingsIssues(
  app: LoadedApplication,
  env: EnvironmentRecord,
  body: SettingsBody,
  secretNamesNow: readonly string[],
): ValidationIssue[] {
  // Only the values being set, applied over the current effective values.
  const set = changeOverrides(undefined, overrideChanges(body) ?? {});
  const candidate = effectiveEnvironment({ ...env, overrides: set });
  const issues = applicationIssues(app, candidate);

  const secretValues = Object.fromEntries(Object.entries(body.secrets ?? {}).filter((entry): entry is [string, string] => entry[1] !== null));
  issues.push(...secretVariableIssues(secretValues));

  const secretsAfter = new Set(secretNamesNow);
  for (const [name, value] of Object.entries(body.secrets ?? {})) {
    if (value === null) secretsAfter.delete(name);
    else secretsAfter.add(name);
  }
  const variablesAfter = new Set(Object.keys(candidate.variables));
  for (const [name, value] of Object.entries(body.variables ?? {})) {
    if (value === null) variablesAfter.delete(name);
  }
  for (const name of Object.keys(set.variables ?? {})) {
    if (secretsAfter.has(name)) issues.push({ path: `variables.${printable(name, 40)}`, message: 'is a secret variable; a name is either a variable or a secret (delete the secret first)' });
  }
  for (const name of Object.keys(secretValues)) {
    if (variablesAfter.has(name)) issues.push({ path: `secrets.${printable(name, 40)}`, message: 'is a (non-secret) variable; a name is either a variable or a secret (remove the variable first)' });
  }
  const overridden = Object.keys(changeOverrides(env.overrides, body).variables ?? {}).length;
  if (overridden > MAX_ENTRIES) issues.push({ path: 'variables', message: `would make ${overridden} dashboard variables; at most ${MAX_ENTRIES}` });
  if (secretsAfter.size > MAX_ENTRIES) issues.push({ path: 'secrets', message: `would make ${secretsAfter.size} secret variables; at most ${MAX_ENTRIES}` });
  return issues;
}

/**
 * What the change breaks: issues of the application with `candidate` in place that it did
 * not have before. Another environment's issue can only be the branch race (application rules
 * span environments only there), so it is reported on `branch` with that environment's name.
 */
function applicationIssues(app: LoadedApplication, candidate: EnvironmentRecord): ValidationIssue[] {
  // A pull request's preview is in no promotion order and races no branch: its own rules only.
  if (candidate.preview) return validateEnvironment(candidate, {}, PATH).map(issue => ({ ...issue, path: issue.path.slice(PATH.length + 1) }));
  const validate = (environments: readonly EnvironmentConfig[]) =>
    validateApplication({ name: app.name, repository: app.repository, environments }, {}, PATH);
  const before = new Set(validate(app.environments).map(formatIssue));
  const index = app.environments.findIndex(other => other.name === candidate.name);
  return validate(app.environments.map((other, i) => i === index ? candidate : other))
    .filter(issue => !before.has(formatIssue(issue)))
    .map(issue => {
      const [, at, field] = /^[^.]+\.environments\[(\d+)\]\.(.*)$/.exec(issue.path) ?? [];
      if (Number(at) === index) return { path: field, message: issue.message };
      const other = app.environments[Number(at)]?.name ?? 'another environment';
      return { path: 'branch', message: `${other} would race this environment: ${issue.message}` };
    });
}

/** The variable rules of config-validation (name, reserved prefixes, value size), applied to secret variables. */
export function secretVariableIssues(secrets: Readonly<Record<string, string>>): ValidationIssue[] {
  const holder: EnvironmentConfig = { name: 'secrets', kind: 'custom', autoDeploy: false, runTests: false, testCommand: ['true'], variables: secrets, protected: false };
  return validateEnvironment(holder, {}, PATH).map(issue => ({ ...issue, path: issue.path.replace(`${PATH}.variables.`, 'secrets.') }));
}
