import { ConfirmByNameDialog } from './ConfirmByNameDialog';

/** Deleting a dashboard-made application or environment tears down what it deployed first. */
export function DeleteDialog({ what, name, busy, error, onClose, onConfirm }: {
  what: 'application' | 'environment';
  name: string;
  busy: boolean;
  error?: unknown;
  onClose: () => void;
  onConfirm: (confirm: string) => void;
}) {
  return (
    <ConfirmByNameDialog
      title={`Delete ${what} ${name}`}
      name={name}
      action={`Delete ${name}`}
      busyAction="Deleting…"
      testId="delete"
      busy={busy}
      error={error}
      onClose={onClose}
      onConfirm={onConfirm}
    >
      <p>
        Everything <strong>{name}</strong> deployed is torn down first; then its configuration is deleted.
        Its deployment history is kept. It cannot be undone.
      </p>
    </ConfirmByNameDialog>
  );
}
