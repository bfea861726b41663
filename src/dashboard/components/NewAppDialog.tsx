import { useState } from 'preact/hooks';
import { Dialog } from './Dialog';
import { ErrorBox } from './ErrorBox';
import { ApplicationView } from '../../runtime/core/api-types';
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
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  const create = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onCreated(await api.createApp({ name: name.trim(), repository: repository.trim() }));
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
