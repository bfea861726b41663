import { ConfirmByNameDialog } from './ConfirmByNameDialog';
import { EnvironmentView } from '../../runtime/core/api-types';

/** A teardown removes everything deployed in the environment: the name is typed again to confirm. */
export function TeardownDialog({ env, busy, error, onClose, onConfirm }: {
  env: EnvironmentView;
  busy: boolean;
  error?: unknown;
  onClose: () => void;
  onConfirm: (confirm: string) => void;
}) {
  return (
    <ConfirmByNameDialog
      title={`Tear down ${env.name}`}
      name={env.name}
      action={`Tear down ${env.name}`}
      busyAction="Tearing down…"
      testId="teardown"
      busy={busy}
      error={error}
      onClose={onClose}
      onConfirm={onConfirm}
    >
      <p>
        This removes everything deployed in <strong>{env.name}</strong>
        {env.region ? <> ({env.region})</> : null}. It cannot be undone; a later deploy builds it again.
      </p>
    </ConfirmByNameDialog>
  );
}
