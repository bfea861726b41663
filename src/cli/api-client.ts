import { CliError, EXIT, ExitCode } from './exit-codes';
import { oneLine } from './log-lines';
import { Session, causeOf, loginHint, unreachableHint } from './session';
import { ApiMethod, ControlApiCalls } from '../runtime/core/api-calls';

/** No answer from the API (network down, server gone): a poll may try again. */
export class ApiUnreachableError extends CliError {}

/** The API answered with a refusal: its status and its reason, one line per problem (`field: message`). */
export class ApiRefusal extends CliError {
  constructor(readonly status: number, readonly problems: readonly string[], exitCode: ExitCode, prefix = '') {
    super(`${prefix}${problems.join('; ')}`, exitCode);
  }

  /**
   * The same refusal in the words of what the person typed: a body field whose option was given
   * is named as that option (`deploymentId: ...` → `--to: ...`); one the command filled in itself
   * loses the field's name (`branch: shop/dev tracks no branch` → `shop/dev tracks no branch`:
   * there was no --branch to blame). `options`: field → option; `given`: the options typed.
   */
  withOptionNames(options: Readonly<Record<string, string>>, given: ReadonlySet<string>): ApiRefusal {
    if (this.status !== 400) return this;
    const renamed = this.problems.map(problem => {
      const field = /^([\w.[\]]+): /.exec(problem)?.[1];
      const option = field === undefined ? undefined : options[field];
      if (option === undefined) return problem;
      return given.has(option) ? `${option}${problem.slice(field!.length)}` : problem.slice(field!.length + 2);
    });
    return new ApiRefusal(this.status, renamed, this.exitCode);
  }
}

/**
 * The control API for the `trellis` command: routes and shapes from core/api-types, the
 * session's bearer token on every call. Every answer other than 2xx becomes a CliError that
 * says what to do: 401 → sign in again (exit 3), 403 → the API's reason, which names the role
 * needed (exit 3), other 4xx/5xx → the API's reason (exit 1), no answer → the URL (exit 1).
 * The reasons are the server's text: cleaned of escape sequences before they are shown.
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
      throw new ApiUnreachableError(`cannot reach ${this.session.apiUrl} (${method} ${path}): ${causeOf(error)}; ${unreachableHint}`);
    }
    const text = await response.text();
    const answer = parse(text);
    if (response.ok) return answer as T;
    const reason = typeof (answer as { reason?: unknown })?.reason === 'string'
      ? (answer as { reason: string }).reason
      : `HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
    // A validation error lists one problem per line.
    const problems = reason.split('\n').map(oneLine).filter(line => line !== '');
    if (response.status === 401) throw new CliError(this.unauthorized(problems.join('; ')), EXIT.auth);
    if (response.status === 403) throw new ApiRefusal(403, problems, EXIT.auth, `not allowed${this.session.tokenSource === 'TRELLIS_TOKEN' ? ' (with TRELLIS_TOKEN)' : ''}: `);
    throw new ApiRefusal(response.status, problems, EXIT.failed);
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
