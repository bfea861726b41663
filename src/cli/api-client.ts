import { CliError, EXIT } from './exit-codes';
import { Session, causeOf, loginHint } from './session';
import { ApiMethod, ControlApiCalls } from '../runtime/core/api-calls';

/** No answer from the API (network down, server gone): a poll may try again. */
export class ApiUnreachableError extends CliError {}

/**
 * The control API for the `trellis` command: routes and shapes from core/api-types, the
 * session's bearer token on every call. Every answer other than 2xx becomes a CliError that
 * says what to do: 401 → sign in again (exit 3), 403 → the API's reason, which names the role
 * needed (exit 3), other 4xx/5xx → the API's reason (exit 1), no answer → the URL (exit 1).
 */
export class ApiClient extends ControlApiCalls {
  constructor(readonly session: Session) {
    super();
  }

  protected async call<T>(method: ApiMethod, path: string, body?: unknown): Promise<T> {
    const address = `${this.session.apiUrl}${path}`;
    let response: Response;
    try {
      response = await fetch(address, {
        method,
        headers: { authorization: `Bearer ${this.session.token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'error',
      });
    } catch (error) {
      throw new ApiUnreachableError(`cannot reach ${this.session.apiUrl} (${method} ${path}): ${causeOf(error)}`);
    }
    const text = await response.text();
    const answer = parse(text);
    if (response.ok) return answer as T;
    const reason = typeof (answer as { reason?: unknown })?.reason === 'string'
      ? (answer as { reason: string }).reason
      : `HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
    if (response.status === 401) throw new CliError(this.unauthorized(reason), EXIT.auth);
    if (response.status === 403) throw new CliError(`not allowed: ${reason}`, EXIT.auth);
    throw new CliError(reason, EXIT.failed);
  }

  private unauthorized(reason: string): string {
    const { url, tokenSource } = this.session;
    if (tokenSource === 'TRELLIS_TOKEN') return `${url} refused TRELLIS_TOKEN (${reason}): check the token, or create a new one with \`trellis tokens create\``;
    return `${url} refused the stored sign-in (${reason}): ${loginHint(url)}`;
  }
}

function parse(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
