import { useRef, useState } from 'preact/hooks';
import { Dialog } from './Dialog';
import { ErrorBox } from './ErrorBox';
import { ApiTokenView, CreatedApiToken } from '../../runtime/core/api-types';
import { ago, applicationScope, dateTime } from '../format';
import { useResource } from '../hooks';
import { ALL_APPLICATIONS, administeredApplications, isInstallationAdmin } from '../roles';
import { useSession } from '../session';

type Role = ApiTokenView['role'];

/** Every role, with what it lets a token do (a new role does not compile until it is described). */
const ROLE_CHOICES: Readonly<Record<Role, string>> = {
  viewer: 'Reads applications, deployments and logs.',
  deployer: 'Also deploys, promotes, rolls back, tears down and cancels, outside protected environments.',
  admin: 'All of it in every environment, and changes settings.',
};

/** What a new token gets unless changed: what a pipeline needs, for about a quarter. */
const DEFAULT_ROLE: Role = 'deployer';
const DEFAULT_DAYS = 90;

/**
 * Makes an API token (name, role, one application or all, days until it expires), then shows it
 * once with a copy button: the API never gives it again, and the dialog forgets it when closed.
 */
export function NewTokenDialog({ onClose, onCreated }: { onClose: () => void; onCreated: () => void }) {
  const [created, setCreated] = useState<CreatedApiToken>();
  return (
    <Dialog title={created ? `Token ${created.name}` : 'New API token'} onClose={onClose} testId="new-token-dialog">
      {created
        ? <ShownOnce token={created} onDone={onClose} />
        : <TokenForm onClose={onClose} onCreated={token => { setCreated(token); onCreated(); }} />}
    </Dialog>
  );
}

function TokenForm({ onClose, onCreated }: { onClose: () => void; onCreated: (token: CreatedApiToken) => void }) {
  const { api, me } = useSession();
  const apps = useResource('token-apps', () => api.apps());
  const allowed = administeredApplications(me, apps.data?.items.map(app => app.name) ?? []);
  // Only an admin of every application may make a token for all of them.
  const choices = isInstallationAdmin(me) ? [ALL_APPLICATIONS, ...allowed] : allowed;
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>(DEFAULT_ROLE);
  const [picked, setPicked] = useState<string>();
  const [days, setDays] = useState(String(DEFAULT_DAYS));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  // One application rather than all, unless chosen: the narrowest scope is the default.
  const application = picked ?? allowed[0] ?? choices[0];

  const create = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onCreated(await api.createToken({ name: name.trim(), role, application, expiresInDays: Number(days) }));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="stack" onSubmit={create}>
      <label>
        Name
        <input value={name} onInput={event => setName(event.currentTarget.value)} placeholder="github-actions" maxLength={64}
          autoComplete="off" spellcheck={false} data-testid="new-token-name" />
      </label>
      <label>
        Application
        {apps.loading && !apps.data
          ? <select disabled data-testid="new-token-application-loading"><option>Loading applications…</option></select>
          : (
            <select value={application} onChange={event => setPicked(event.currentTarget.value)} data-testid="new-token-application">
              {choices.map(choice => <option key={choice} value={choice}>{applicationScope(choice)}</option>)}
            </select>
          )}
      </label>
      <label>
        Role
        <select value={role} onChange={event => setRole(event.currentTarget.value as Role)} data-testid="new-token-role">
          {Object.keys(ROLE_CHOICES).map(choice => <option key={choice} value={choice}>{choice}</option>)}
        </select>
        <span class="muted" data-testid="new-token-role-help">{ROLE_CHOICES[role]}</span>
      </label>
      <label>
        Expires in (days)
        <input type="number" min={1} max={365} step={1} required value={days} onInput={event => setDays(event.currentTarget.value)} data-testid="new-token-days" />
      </label>
      <p class="muted">No token can make or revoke tokens: that takes a person signed in.</p>
      {apps.error ? <ErrorBox error={apps.error} onRetry={apps.reload} /> : null}
      {error ? <ErrorBox error={error} testId="new-token-error" /> : null}
      <div class="dialog-actions">
        <button type="button" class="quiet" onClick={onClose}>Cancel</button>
        <button type="submit" class="primary" disabled={busy || name.trim() === '' || application === undefined} data-testid="new-token-create">
          {busy ? 'Creating…' : 'Create token'}
        </button>
      </div>
    </form>
  );
}

function ShownOnce({ token, onDone }: { token: CreatedApiToken; onDone: () => void }) {
  const [copy, setCopy] = useState<'idle' | 'copied' | 'failed'>('idle');
  const field = useRef<HTMLInputElement>(null);
  const copyToken = async () => {
    try {
      await navigator.clipboard.writeText(token.token);
      setCopy('copied');
    } catch {
      // No clipboard (an insecure origin, a denied permission): the field is selected to copy by hand.
      setCopy('failed');
      field.current?.select();
    }
  };
  return (
    <div class="stack">
      <div class="notice warn" role="alert" data-testid="token-shown-once">
        Copy the token now: this is the only time it is shown. Trellis keeps only a hash of it.
      </div>
      <p>
        <strong>{token.role}</strong> on <strong>{applicationScope(token.application)}</strong>,
        expires <span title={dateTime(token.expiresAt)}>{ago(token.expiresAt)}</span>.
      </p>
      <div class="token-copy">
        <input ref={field} readOnly value={token.token} class="mono" aria-label="API token" autoComplete="off" spellcheck={false}
          onFocus={event => event.currentTarget.select()} data-testid="created-token" />
        <button type="button" class="primary" onClick={copyToken} data-testid="copy-token">{copy === 'copied' ? 'Copied' : 'Copy'}</button>
      </div>
      {copy === 'failed' ? <p class="muted" data-testid="copy-failed">The browser did not allow copying: the token is selected, copy it with the keyboard.</p> : null}
      <p class="muted">Store it as a secret of your CI (for example <code>TRELLIS_TOKEN</code>) and send it as <code>Authorization: Bearer …</code>.</p>
      <div class="dialog-actions">
        <button type="button" class="primary" onClick={onDone} data-testid="token-done">Done</button>
      </div>
    </div>
  );
}
