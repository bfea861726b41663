import { ConfirmByNameDialog, ConfirmProps } from './ConfirmByNameDialog';
import { EnvironmentView } from '../../runtime/core/api-types';

/** A teardown removes everything deployed in the environment: the name is typed again to confirm. */
export function TeardownDialog({ env, ...confirm }: ConfirmProps & { env: EnvironmentView }) {
  return (
    <ConfirmByNameDialog title={`Tear down ${env.name}`} name={env.name} action={`Tear down ${env.name}`} busyAction="Tearing down…" testId="teardown" {...confirm}>
      <p>
        This removes everything deployed in <strong>{env.name}</strong>
        {env.region ? <> ({env.region})</> : null}. It cannot be undone; a later deploy builds it again.
      </p>
    </ConfirmByNameDialog>
  );
}
