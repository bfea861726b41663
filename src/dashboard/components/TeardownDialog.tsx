import { useState } from 'preact/hooks';
import { Dialog } from './Dialog';
import { ErrorBox } from './ErrorBox';
import { EnvironmentView } from '../../runtime/core/api-types';

/** A teardown removes everything deployed in the environment: the name is typed again to confirm. */
export function TeardownDialog({ env, busy, error, onClose, onConfirm }: {
  env: EnvironmentView;
  busy: boolean;
  error?: unknown;
  onClose: () => void;
  onConfirm: (confirm: string) => void;
}) {
  const [typed, setTyped] = useState('');
  const matches = typed === env.name;
  return (
    <Dialog title={`Tear down ${env.name}`} onClose={onClose} testId="teardown-dialog">
      <form
        class="stack"
        onSubmit={event => {
          event.preventDefault();
          if (matches) onConfirm(typed);
        }}
      >
        <p>
          This removes everything deployed in <strong>{env.name}</strong>
          {env.region ? <> ({env.region})</> : null}. It cannot be undone; a later deploy builds it again.
        </p>
        {error ? <ErrorBox error={error} testId="teardown-error" /> : null}
        <label>
          Type <code>{env.name}</code> to confirm
          <input value={typed} onInput={event => setTyped(event.currentTarget.value)} autoComplete="off" spellcheck={false} data-testid="teardown-confirm-input" />
        </label>
        <div class="dialog-actions">
          <button type="button" class="quiet" onClick={onClose}>Cancel</button>
          <button type="submit" class="danger" disabled={!matches || busy} data-testid="teardown-confirm">{busy ? 'Tearing down…' : `Tear down ${env.name}`}</button>
        </div>
      </form>
    </Dialog>
  );
}
