import { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { Dialog } from './Dialog';
import { ErrorBox } from './ErrorBox';

/** What the page gives a confirmation dialog: whether its request runs, how it failed, and the two ways out. */
export interface ConfirmProps {
  readonly busy: boolean;
  readonly error?: unknown;
  readonly onClose: () => void;
  readonly onConfirm: (confirm: string) => void;
}

/**
 * What cannot be undone (a teardown, a deletion) is confirmed by typing the name again: the
 * button works only once it matches. Test ids are `<testId>-dialog`, `-confirm-input`, `-confirm`, `-error`.
 */
export function ConfirmByNameDialog({ title, name, action, busyAction, testId, busy, error, onClose, onConfirm, children }: ConfirmProps & {
  title: string;
  name: string;
  action: string;
  busyAction: string;
  testId: string;
  children: ComponentChildren;
}) {
  const [typed, setTyped] = useState('');
  const matches = typed === name;
  return (
    <Dialog title={title} onClose={onClose} testId={`${testId}-dialog`}>
      <form
        class="stack"
        onSubmit={event => {
          event.preventDefault();
          if (matches) onConfirm(typed);
        }}
      >
        {children}
        {error ? <ErrorBox error={error} testId={`${testId}-error`} /> : null}
        <label>
          Type <code>{name}</code> to confirm
          <input value={typed} onInput={event => setTyped(event.currentTarget.value)} autoComplete="off" spellcheck={false} data-testid={`${testId}-confirm-input`} />
        </label>
        <div class="dialog-actions">
          <button type="button" class="quiet" onClick={onClose}>Cancel</button>
          <button type="submit" class="danger" disabled={!matches || busy} data-testid={`${testId}-confirm`}>{busy ? busyAction : action}</button>
        </div>
      </form>
    </Dialog>
  );
}
