import { useState } from 'preact/hooks';
import { Dialog } from './Dialog';
import { ErrorBox } from './ErrorBox';

/** Deleting a dashboard-made application or environment tears down what it deployed first: the name is typed again to confirm. */
export function DeleteDialog({ what, name, busy, error, onClose, onConfirm }: {
  what: 'application' | 'environment';
  name: string;
  busy: boolean;
  error?: unknown;
  onClose: () => void;
  onConfirm: (confirm: string) => void;
}) {
  const [typed, setTyped] = useState('');
  const matches = typed === name;
  return (
    <Dialog title={`Delete ${what} ${name}`} onClose={onClose} testId="delete-dialog">
      <form
        class="stack"
        onSubmit={event => {
          event.preventDefault();
          if (matches) onConfirm(typed);
        }}
      >
        <p>
          Everything <strong>{name}</strong> deployed is torn down first; then its configuration is deleted.
          Its deployment history is kept. It cannot be undone.
        </p>
        {error ? <ErrorBox error={error} testId="delete-error" /> : null}
        <label>
          Type <code>{name}</code> to confirm
          <input value={typed} onInput={event => setTyped(event.currentTarget.value)} autoComplete="off" spellcheck={false} data-testid="delete-confirm-input" />
        </label>
        <div class="dialog-actions">
          <button type="button" class="quiet" onClick={onClose}>Cancel</button>
          <button type="submit" class="danger" disabled={!matches || busy} data-testid="delete-confirm">{busy ? 'Deleting…' : `Delete ${name}`}</button>
        </div>
      </form>
    </Dialog>
  );
}
