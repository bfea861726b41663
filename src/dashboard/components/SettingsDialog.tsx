import { useState } from 'preact/hooks';
import { EnvironmentView, SettingSource, SettingsBody } from '../../runtime/core/api-types';
import { argvToText, textToArgv } from '../format';
import { useSession } from '../session';
import { Dialog } from './Dialog';
import { ErrorBox } from './ErrorBox';

interface VariableRow {
  readonly id: number;
  readonly original?: string;
  key: string;
  value: string;
}

interface SecretRow {
  readonly id: number;
  readonly existing: boolean;
  name: string;
  value: string;
  remove: boolean;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
let rowIds = 0;

/**
 * An environment's runtime settings (admins): branch, tests, variables and secrets. Only
 * what changed is sent; secret values are write-only (the API returns names, never values).
 */
export function SettingsDialog({ app, env, onClose, onSaved }: { app: string; env: EnvironmentView; onClose: () => void; onSaved: () => void }) {
  const { api } = useSession();
  const [branch, setBranch] = useState(env.branch ?? '');
  const [runTests, setRunTests] = useState(env.runTests);
  const [testCommand, setTestCommand] = useState(argvToText(env.testCommand));
  const [reset, setReset] = useState<{ branch?: boolean; runTests?: boolean; testCommand?: boolean }>({});
  const [variables, setVariables] = useState<VariableRow[]>(() =>
    Object.entries(env.variables).map(([key, value]) => ({ id: ++rowIds, original: key, key, value })));
  const [secrets, setSecrets] = useState<SecretRow[]>(() => env.secrets.map(secret => ({ id: ++rowIds, existing: true, name: secret.name, value: '', remove: false })));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  const updateVariable = (id: number, change: Partial<VariableRow>) => setVariables(rows => replaceRow(rows, id, change));
  const updateSecret = (id: number, change: Partial<SecretRow>) => setSecrets(rows => replaceRow(rows, id, change));

  const problems = [
    ...variables.filter(row => row.key !== '' && !NAME.test(row.key)).map(row => `Variable name "${row.key}" must be letters, digits and _ (not starting with a digit).`),
    ...secrets.filter(row => !row.existing && row.name !== '' && !NAME.test(row.name)).map(row => `Secret name "${row.name}" must be letters, digits and _ (not starting with a digit).`),
    ...duplicates([...variables.map(row => row.key), ...secrets.map(row => row.name)]).map(name => `"${name}" is named twice.`),
  ];

  const body = (): SettingsBody => {
    const result: { -readonly [K in keyof SettingsBody]: SettingsBody[K] } = {};
    if (reset.branch) result.branch = null;
    else if (branch.trim() !== (env.branch ?? '')) result.branch = branch.trim() === '' ? null : branch.trim();
    if (reset.runTests) result.runTests = null;
    else if (runTests !== env.runTests) result.runTests = runTests;
    if (reset.testCommand) result.testCommand = null;
    else if (argvToText(textToArgv(testCommand)) !== argvToText(env.testCommand)) result.testCommand = textToArgv(testCommand);

    const vars: Record<string, string | null> = {};
    const kept = new Set(variables.filter(row => row.key !== '').map(row => row.key));
    for (const key of Object.keys(env.variables)) if (!kept.has(key)) vars[key] = null;
    for (const row of variables) {
      if (row.key === '') continue;
      if (row.original !== row.key || env.variables[row.key] !== row.value) vars[row.key] = row.value;
    }
    if (Object.keys(vars).length > 0) result.variables = vars;

    const secretValues: Record<string, string | null> = {};
    for (const row of secrets) {
      if (row.existing && row.remove) secretValues[row.name] = null;
      else if (row.name !== '' && row.value !== '') secretValues[row.name] = row.value;
    }
    if (Object.keys(secretValues).length > 0) result.secrets = secretValues;
    return result;
  };

  const save = async (event: Event) => {
    event.preventDefault();
    if (problems.length > 0) return;
    const changes = body();
    if (Object.keys(changes).length === 0) {
      onClose();
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await api.settings(app, env.name, changes);
      onSaved();
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  };

  return (
    <Dialog title={`${env.name} settings`} onClose={onClose} testId="settings-dialog" wide>
      <form class="stack settings" onSubmit={save}>
        {error ? <ErrorBox error={error} testId="settings-error" /> : null}
        <fieldset>
          <legend>Source</legend>
          <label>
            <span class="label-row">Branch <Source source={env.sources.branch} onReset={() => setReset({ ...reset, branch: true })} reset={reset.branch} /></span>
            <input value={branch} placeholder="no branch: promotions only" disabled={reset.branch} onInput={event => setBranch(event.currentTarget.value)} data-testid="settings-branch" />
          </label>
        </fieldset>
        <fieldset>
          <legend>Tests</legend>
          <label class="inline">
            <input type="checkbox" checked={runTests} disabled={reset.runTests} onChange={event => setRunTests(event.currentTarget.checked)} data-testid="settings-run-tests" />
            Run tests before deploying
            <Source source={env.sources.runTests} onReset={() => setReset({ ...reset, runTests: true })} reset={reset.runTests} />
          </label>
          <label>
            <span class="label-row">Test command <Source source={env.sources.testCommand} onReset={() => setReset({ ...reset, testCommand: true })} reset={reset.testCommand} /></span>
            <input value={testCommand} class="mono" disabled={reset.testCommand || !runTests} onInput={event => setTestCommand(event.currentTarget.value)} data-testid="settings-test-command" />
            <small class="muted">Run as an argument list, not by a shell: quote an argument that contains spaces.</small>
          </label>
        </fieldset>
        <fieldset>
          <legend>Variables <Source source={env.sources.variables} /></legend>
          {variables.length === 0 ? <p class="muted">No variables.</p> : null}
          {variables.map((row, index) => (
            <div class="kv" key={row.id}>
              <input aria-label="Name" placeholder="NAME" class="mono" value={row.key} onInput={event => updateVariable(row.id, { key: event.currentTarget.value })} data-testid={`settings-var-key-${index}`} />
              <input aria-label="Value" placeholder="value" class="mono" value={row.value} onInput={event => updateVariable(row.id, { value: event.currentTarget.value })} data-testid={`settings-var-value-${index}`} />
              <button type="button" class="icon" aria-label={`Remove ${row.key}`} onClick={() => setVariables(rows => rows.filter(other => other.id !== row.id))}>×</button>
            </div>
          ))}
          <button type="button" class="quiet" onClick={() => setVariables(rows => [...rows, { id: ++rowIds, key: '', value: '' }])} data-testid="settings-add-var">Add variable</button>
        </fieldset>
        <fieldset>
          <legend>Secrets</legend>
          <p class="muted">Values are stored in the secret store and never shown again. Leave a value empty to keep it.</p>
          {secrets.map(row => (
            <div class={`kv${row.remove ? ' removed' : ''}`} key={row.id} data-testid={row.existing ? `settings-secret-${row.name}` : undefined}>
              {row.existing
                ? <span class="mono secret-name">{row.name} <span class="tag set" data-testid={`settings-secret-set-${row.name}`}>set</span></span>
                : <input aria-label="Secret name" placeholder="NAME" class="mono" value={row.name} onInput={event => updateSecret(row.id, { name: event.currentTarget.value })} data-testid="settings-new-secret-name" />}
              <input
                type="password"
                aria-label={`Value of ${row.name || 'the new secret'}`}
                placeholder={row.existing ? 'new value (write-only)' : 'value'}
                autoComplete="new-password"
                value={row.value}
                disabled={row.remove}
                onInput={event => updateSecret(row.id, { value: event.currentTarget.value })}
                data-testid={row.existing ? `settings-secret-value-${row.name}` : 'settings-new-secret-value'}
              />
              {row.existing
                ? <button type="button" class="quiet" onClick={() => updateSecret(row.id, { remove: !row.remove, value: '' })}>{row.remove ? 'Keep' : 'Delete'}</button>
                : <button type="button" class="icon" aria-label="Remove" onClick={() => setSecrets(rows => rows.filter(other => other.id !== row.id))}>×</button>}
            </div>
          ))}
          <button type="button" class="quiet" onClick={() => setSecrets(rows => [...rows, { id: ++rowIds, existing: false, name: '', value: '', remove: false }])} data-testid="settings-add-secret">Add secret</button>
        </fieldset>
        {problems.length > 0 ? <ul class="problems" role="alert">{problems.map(problem => <li key={problem}>{problem}</li>)}</ul> : null}
        <div class="dialog-actions">
          <button type="button" class="quiet" onClick={onClose}>Cancel</button>
          <button type="submit" class="primary" disabled={busy || problems.length > 0} data-testid="settings-save">{busy ? 'Saving…' : 'Save'}</button>
        </div>
      </form>
    </Dialog>
  );
}

/** Where a setting comes from; a dashboard override can be dropped (back to the code's value). */
function Source({ source, onReset, reset }: { source: SettingSource; onReset?: () => void; reset?: boolean }) {
  if (reset) return <span class="tag">back to code on save</span>;
  if (source === 'code') return <span class="tag" title="Set in code (the construct)">from code</span>;
  return (
    <span class="tag override" title="Changed in the dashboard; wins over the code until reset">
      changed here
      {onReset ? <button type="button" class="link" onClick={onReset}>reset</button> : null}
    </span>
  );
}

function replaceRow<T extends { readonly id: number }>(rows: readonly T[], id: number, change: Partial<T>): T[] {
  return rows.map(row => (row.id === id ? { ...row, ...change } : row));
}

function duplicates(names: string[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const name of names) {
    if (name === '') continue;
    if (seen.has(name)) twice.add(name);
    seen.add(name);
  }
  return [...twice];
}
