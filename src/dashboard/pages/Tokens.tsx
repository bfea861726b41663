import { useState } from 'preact/hooks';
import { ApiTokenView } from '../../runtime/core/api-types';
import { Empty, ErrorBox, Spinner } from '../components/ErrorBox';
import { Layout } from '../components/Layout';
import { NewTokenDialog } from '../components/NewTokenDialog';
import { RevokeTokenDialog } from '../components/RevokeTokenDialog';
import { ago, applicationScope, dateTime } from '../format';
import { useResource } from '../hooks';
import { administersAnyApplication } from '../roles';
import { useSession } from '../session';

/**
 * API tokens for CI and scripts: the tokens of the applications the user administers (the API
 * picks them), a dialog that makes one and shows it once, and revocation. Only the token's id is
 * ever listed: the API keeps a hash of the secret, never the secret.
 */
export function TokensPage() {
  const { api, me } = useSession();
  const admin = administersAnyApplication(me);
  const tokens = useResource(`tokens:${admin}`, async () => (admin ? (await api.tokens()).items : []));
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiTokenView>();
  const [revokeBusy, setRevokeBusy] = useState(false);
  const [revokeError, setRevokeError] = useState<unknown>();

  const revoke = async (token: ApiTokenView) => {
    setRevokeBusy(true);
    setRevokeError(undefined);
    try {
      await api.revokeToken(token.id);
      setRevoking(undefined);
      tokens.reload();
    } catch (failure) {
      setRevokeError(failure);
    } finally {
      setRevokeBusy(false);
    }
  };

  return (
    <Layout crumbs={[{ label: 'API tokens' }]}>
      <div class="page-head">
        <h1>API tokens</h1>
        {admin ? <button type="button" class="primary" onClick={() => setCreating(true)} data-testid="new-token">New token</button> : null}
      </div>
      <p class="muted">
        For CI pipelines and scripts: send one as <code>Authorization: Bearer &lt;token&gt;</code>, or give it to the
        {' '}<code>trellis</code> command as <code>TRELLIS_TOKEN</code>. Each has one role on one application (or all of them) and an expiry.
      </p>
      {!admin && me
        ? (
          <Empty title="Admins manage API tokens" testId="tokens-not-admin">
            An admin of an application makes and revokes its tokens.
          </Empty>
        )
        : null}
      {tokens.error ? <ErrorBox error={tokens.error} onRetry={tokens.reload} /> : null}
      {admin && !tokens.data && tokens.loading ? <Spinner /> : null}
      {admin && tokens.data?.length === 0
        ? <Empty title="No API tokens yet" testId="tokens-empty">Make one for each pipeline that deploys.</Empty>
        : null}
      {tokens.data && tokens.data.length > 0
        ? <TokenTable tokens={tokens.data} onRevoke={token => { setRevokeError(undefined); setRevoking(token); }} />
        : null}
      {creating ? <NewTokenDialog onClose={() => setCreating(false)} onCreated={tokens.reload} /> : null}
      {revoking
        ? (
          <RevokeTokenDialog token={revoking} busy={revokeBusy} error={revokeError}
            onClose={() => setRevoking(undefined)} onConfirm={() => revoke(revoking)} />
        )
        : null}
    </Layout>
  );
}

function TokenTable({ tokens, onRevoke }: { tokens: readonly ApiTokenView[]; onRevoke: (token: ApiTokenView) => void }) {
  const now = Date.now();
  return (
    <div class="card table-wrap">
      <table class="history" data-testid="tokens">
        <thead>
          <tr>
            <th>Name</th><th>Id</th><th>Role</th><th>Application</th><th>Created by</th><th>Created</th><th>Expires</th><th>Last used</th><th />
          </tr>
        </thead>
        <tbody>
          {newestFirst(tokens).map(token => {
            const expired = Date.parse(token.expiresAt) <= now;
            return (
              <tr key={token.id} data-testid={`token-${token.id}`} data-name={token.name} data-expired={String(expired)}>
                <td><strong>{token.name}</strong></td>
                <td><code title="The start of the token">trellis_{token.id}_…</code></td>
                <td>{token.role}</td>
                <td>{applicationScope(token.application)}</td>
                <td>{token.createdBy}</td>
                <td title={dateTime(token.createdAt)}>{ago(token.createdAt, now)}</td>
                <td title={dateTime(token.expiresAt)}>
                  {expired ? <span class="tag expired" data-testid={`token-expired-${token.id}`}>expired</span> : null} {ago(token.expiresAt, now)}
                </td>
                <td title={dateTime(token.lastUsedAt)}>{token.lastUsedAt ? ago(token.lastUsedAt, now) : <span class="muted">never</span>}</td>
                <td>
                  <button type="button" class="danger quiet" onClick={() => onRevoke(token)} data-testid={`revoke-${token.id}`}>Revoke</button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function newestFirst(tokens: readonly ApiTokenView[]): ApiTokenView[] {
  return [...tokens].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}
