import { useState } from 'preact/hooks';
import { Dialog } from './Dialog';
import { ErrorBox, FormProblem } from './ErrorBox';
import { EnvironmentView } from '../../runtime/core/api-types';
import { EnvironmentKind } from '../../runtime/core/types';
import { commandLineProblem, customCommands, textToArgv } from '../format';
import { useSession } from '../session';

const KINDS: readonly EnvironmentKind[] = ['custom', 'development', 'staging', 'production'];

/**
 * Another environment at the end of a dashboard-made application's promotion order. Empty
 * fields are left out, so the kind's defaults apply; variables and secrets are set afterwards in its settings.
 */
export function AddEnvironmentDialog({ app, onClose, onAdded }: { app: string; onClose: () => void; onAdded: (env: EnvironmentView) => void }) {
  const { api } = useSession();
  const [fields, setFields] = useState({
    name: '', kind: 'custom' as EnvironmentKind, branch: '', testCommand: '', deployCommand: '', removeCommand: '', region: '', account: '', deployRoleArn: '',
  });
  const [autoDeploy, setAutoDeploy] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  type Field = keyof typeof fields;
  const set = (field: Field) => (event: { currentTarget: { value: string } }) => setFields({ ...fields, [field]: event.currentTarget.value });

  const add = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const given = (value: string) => (value.trim() === '' ? undefined : value.trim());
    try {
      const problem = commandLineProblem('The test command', fields.testCommand)
        ?? commandLineProblem('The deploy command', fields.deployCommand) ?? commandLineProblem('The remove command', fields.removeCommand);
      if (problem) throw new FormProblem(problem);
      onAdded(await api.addEnvironment(app, {
        name: given(fields.name),
        kind: fields.kind,
        branch: given(fields.branch),
        ...autoDeploy && { autoDeploy },
        ...given(fields.testCommand) && { runTests: true, testCommand: textToArgv(fields.testCommand) },
        ...given(fields.deployCommand) && { framework: customCommands(fields.deployCommand, fields.removeCommand) },
        region: given(fields.region),
        account: given(fields.account),
        deployRoleArn: given(fields.deployRoleArn),
      }));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  const text = (field: Field, label: string, placeholder = '') => (
    <label>
      {label}
      <input value={fields[field]} onInput={set(field)} placeholder={placeholder} autoComplete="off" spellcheck={false} data-testid={`add-env-${field}`} />
    </label>
  );
  return (
    <Dialog title={`Add an environment to ${app}`} onClose={onClose} testId="add-env-dialog">
      <form class="stack" onSubmit={add}>
        {text('name', 'Name', 'qa')}
        <label>
          Kind
          <select value={fields.kind} onChange={set('kind')} data-testid="add-env-kind">
            {KINDS.map(kind => <option key={kind} value={kind}>{kind}</option>)}
          </select>
        </label>
        {text('branch', 'Branch (optional: without one it is reached by promotion)', 'main')}
        <label class="inline">
          <input type="checkbox" checked={autoDeploy} onChange={event => setAutoDeploy(event.currentTarget.checked)} data-testid="add-env-auto-deploy" />
          Deploy on every push to the branch
        </label>
        {text('testCommand', 'Test command (optional)', 'npm test')}
        {text('deployCommand', 'Deploy command (optional: without one the framework is detected)', 'make deploy')}
        {text('removeCommand', 'Remove command (with a deploy command: what a teardown runs)', 'make remove')}
        {text('region', 'AWS region (optional)', 'eu-west-1')}
        {text('account', 'AWS account (optional)', '111122223333')}
        {text('deployRoleArn', 'Deploy role ARN (optional)', 'arn:aws:iam::111122223333:role/deploy')}
        {error ? <ErrorBox error={error} testId="add-env-error" /> : null}
        <div class="dialog-actions">
          <button type="button" class="quiet" onClick={onClose}>Cancel</button>
          <button type="submit" class="primary" disabled={busy} data-testid="add-env-add">{busy ? 'Adding…' : 'Add environment'}</button>
        </div>
      </form>
    </Dialog>
  );
}

