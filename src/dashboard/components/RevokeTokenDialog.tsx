import { ConfirmByNameDialog, ConfirmProps } from './ConfirmByNameDialog';
import { ApiTokenView } from '../../runtime/core/api-types';

/** Revoking cannot be undone: whatever uses the token is refused from then on. */
export function RevokeTokenDialog({ token, ...confirm }: ConfirmProps & { token: ApiTokenView }) {
  return (
    <ConfirmByNameDialog title={`Revoke token ${token.name}`} name={token.name} action="Revoke token" busyAction="Revoking…" testId="revoke" {...confirm}>
      <p>
        Every pipeline or script that uses <strong>{token.name}</strong> (<code>{token.id}</code>) is refused from now on.
        It cannot be undone: make a new token to replace it.
      </p>
    </ConfirmByNameDialog>
  );
}
