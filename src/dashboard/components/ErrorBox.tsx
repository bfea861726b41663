import { ComponentChildren } from 'preact';
import { ApiError, errorReason } from '../api';

/** An API error as the server explained it (the JSON `reason`), with a retry when one helps. */
export function ErrorBox({ error, onRetry, testId = 'error' }: { error: unknown; onRetry?: () => void; testId?: string }) {
  const status = error instanceof ApiError && error.status > 0 ? ` (${error.status})` : '';
  return (
    <div class="error-box" role="alert" data-testid={testId}>
      <strong>{title(error)}{status}</strong>
      <span data-testid={`${testId}-reason`}>{errorReason(error)}</span>
      {onRetry ? <button type="button" class="link" onClick={onRetry}>Try again</button> : null}
    </div>
  );
}

/** What a form says is wrong before anything is sent. */
export class FormProblem extends Error {}

function title(error: unknown): string {
  if (error instanceof FormProblem) return 'Check the form';
  if (!(error instanceof ApiError)) return 'Something went wrong';
  if (error.status === 0) return 'Offline';
  if (error.status === 401) return 'Signed out';
  if (error.status === 403) return 'Not allowed';
  if (error.status === 404) return 'Not found';
  if (error.status === 409) return 'Conflict';
  return 'Request failed';
}

export function Empty({ title: heading, children, testId }: { title: string; children?: ComponentChildren; testId?: string }) {
  return (
    <div class="empty" data-testid={testId}>
      <strong>{heading}</strong>
      {children ? <p>{children}</p> : null}
    </div>
  );
}

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return <div class="loading" role="status" data-testid="loading">{label}</div>;
}
