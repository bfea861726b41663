import { bodyFields } from './request-body';
import { SettingsBody } from '../core/api-types';
import { keysOf } from '../core/config-keys';
import { OverrideChanges } from '../core/effective-environment';
import { ValidationError, ValidationIssue } from '../core/errors';
import { printable } from '../core/names';

/** The body's fields, checked against SettingsBody by the compiler; others are refused with the closest as a suggestion. */
export const SETTINGS_FIELDS = keysOf<SettingsBody>({ branch: true, runTests: true, testCommand: true, variables: true, secrets: true });
/** Per request, and in total: dashboard variables, and secret variables. */
export const MAX_ENTRIES = 100;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The body's shape: known fields, each of its type. The rules on values come after (settings-rules.ts). */
export function parseSettingsBody(body: unknown): SettingsBody {
  const fields = bodyFields(body, SETTINGS_FIELDS);
  const issues: ValidationIssue[] = [];
  const result: Mutable<SettingsBody> = {};
  const clear = 'or null to return to the value from code';
  if ('branch' in fields) {
    const value = fields.branch;
    if (value === null || typeof value === 'string') result.branch = value;
    else issues.push({ path: 'branch', message: `must be a branch name, ${clear}` });
  }
  if ('runTests' in fields) {
    const value = fields.runTests;
    if (value === null || typeof value === 'boolean') result.runTests = value;
    else issues.push({ path: 'runTests', message: `must be true or false, ${clear}` });
  }
  if ('testCommand' in fields) {
    const value = fields.testCommand;
    if (value === null || (Array.isArray(value) && value.every(arg => typeof arg === 'string'))) result.testCommand = value;
    else issues.push({ path: 'testCommand', message: `must be an argument vector (an array of strings, e.g. ["npm", "test"]), ${clear}` });
  }
  if ('variables' in fields) result.variables = entries(fields.variables, 'variables', 'or null to remove the dashboard value', issues);
  if ('secrets' in fields) result.secrets = entries(fields.secrets, 'secrets', 'or null to delete the secret', issues);
  if (issues.length > 0) throw new ValidationError(issues);
  return result;
}

function entries(value: unknown, path: string, nullMeans: string, issues: ValidationIssue[]): Record<string, string | null> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    issues.push({ path, message: 'must be an object of NAME: value pairs' });
    return undefined;
  }
  const pairs = Object.entries(value);
  if (pairs.length > MAX_ENTRIES) {
    issues.push({ path, message: `has ${pairs.length} entries; at most ${MAX_ENTRIES} per request` });
    return undefined;
  }
  for (const [name, entry] of pairs) {
    if (entry !== null && typeof entry !== 'string') issues.push({ path: `${path}.${printable(name, 40)}`, message: `must be a string, ${nullMeans}` });
  }
  return Object.fromEntries(pairs) as Record<string, string | null>;
}

/** The override fields of a settings change (secrets are not overrides: they live in Secrets Manager). */
export function overrideChanges(body: SettingsBody): OverrideChanges | undefined {
  const { secrets, ...changes } = body;
  return Object.keys(changes).length > 0 ? changes : undefined;
}
