import { ConfirmByNameDialog, ConfirmProps } from './ConfirmByNameDialog';

/** Deleting a dashboard-made application or environment tears down what it deployed first. */
export function DeleteDialog({ what, name, ...confirm }: ConfirmProps & { what: 'application' | 'environment'; name: string }) {
  return (
    <ConfirmByNameDialog title={`Delete ${what} ${name}`} name={name} action={`Delete ${name}`} busyAction="Deleting…" testId="delete" {...confirm}>
      <p>
        Everything <strong>{name}</strong> deployed is torn down first; then its configuration is deleted.
        Its deployment history is kept. It cannot be undone.
      </p>
    </ConfirmByNameDialog>
  );
}
