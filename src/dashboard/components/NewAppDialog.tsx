import { useState } from 'preact/hooks';
import { Dialog } from './Dialog';
import { ErrorBox, FormProblem } from './ErrorBox';
import { ApplicationView } from '../../runtime/core/api-types';
import { DEFAULT_ENVIRONMENT_KINDS } from '../../runtime/core/environment-kinds';
import { commandLineProblem, customCommands } from '../format';
import { useResource } from '../hooks';
import { useSession } from '../session';

/**
 * A new application (admins of all applications): a name and a repository, with the standard
 * environments (dev on main, staging, production); more are added on its page. With a GitHub
 * App connected the repository is one it is installed on, picked from a list.
 */
export function NewAppDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (app: ApplicationView) => void }) {
  const { api } = useSession();
  // Without the setup route (or GitHub), a text field: the API checks the name either way.
  const github = useResource('github', () => api.github().catch(() => undefined));
  const installed = github.data?.configured ? github.data.repositories ?? [] : undefined;
  const [name, setName] = useState('');
  const [repository, setRepository] = useState('');
  const [deployCommand, setDeployCommand] = useState('');
  const [removeCommand, setRemoveCommand] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  const create = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const problem = commandLineProblem('The deploy command', deployCommand) ?? commandLineProblem('The remove command', removeCommand);
      if (problem) throw new FormProblem(problem);
      // The standard environments, each deploying with the commands given (else the framework is detected).
      const framework = customCommands(deployCommand, removeCommand);
      const environments = framework && DEFAULT_ENVIRONMENT_KINDS.map(kind => ({ kind, framework }));
      onCreated(await api.createApp({ name: name.trim(), repository: repository.trim(), ...environments && { environments } }));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title="New application" onClose={onClose} testId="new-app-dialog">
      <form class="stack" onSubmit={create}>
        <label>
          Name
          <input value={name} onInput={event => setName(event.currentTarget.value)} placeholder="shop" autoComplete="off" spellcheck={false} data-testid="new-app-name" />
        </label>
        <label>
          Repository
          {github.loading && github.data === undefined
            // Until the App's repositories are known: no field to type into that then turns into a list.
            ? <select disabled data-testid="new-app-repository-loading"><option>Loading repositories…</option></select>
            : installed
              ? (
                <select value={repository} onChange={event => setRepository(event.currentTarget.value)} data-testid="new-app-repository">
                  <option value="">Choose a repository the GitHub App is installed on</option>
                  {installed.map(repo => <option key={repo.fullName} value={repo.fullName}>{repo.fullName}</option>)}
                </select>
              )
              : <input value={repository} onInput={event => setRepository(event.currentTarget.value)} placeholder="owner/repo" autoComplete="off" spellcheck={false} data-testid="new-app-repository" />}
        </label>
        <label>
          Deploy command (optional: without one the framework is detected)
          <input value={deployCommand} onInput={event => setDeployCommand(event.currentTarget.value)} placeholder="npm run deploy"
            autoComplete="off" spellcheck={false} data-testid="new-app-deploy-command" />
        </label>
        <label>
          Remove command (with a deploy command: what a teardown runs)
          <input value={removeCommand} onInput={event => setRemoveCommand(event.currentTarget.value)} placeholder="npm run remove"
            autoComplete="off" spellcheck={false} data-testid="new-app-remove-command" />
        </label>
        <p class="muted">It starts with dev (deploys on push to main), staging and production; add environments on its page.</p>
        {error ? <ErrorBox error={error} testId="new-app-error" /> : null}
        <div class="dialog-actions">
          <button type="button" class="quiet" onClick={onClose}>Cancel</button>
          <button type="submit" class="primary" disabled={busy || name.trim() === '' || repository.trim() === ''} data-testid="new-app-create">
            {busy ? 'Creating…' : 'Create application'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
