import { maskCredentials, MASK } from '../core/credential-patterns';
import { NotFoundError, errorMessage } from '../core/errors';

/** One call of GitHub's REST API (or of its web OAuth endpoint, which answers JSON when asked). */
export interface GitHubRequest {
  /** @default GET */
  readonly method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** From the base URL, starting with `/`; may carry a query. */
  readonly path: string;
  /** A bearer credential: the App's JWT, an installation token or a user token. Only ever sent, never in a message. */
  readonly token?: string;
  /** Sent as JSON. */
  readonly body?: unknown;
  /**
   * How the call is named in an error, when the path holds something secret (a one-time code).
   * @default the method and the path without its query
   */
  readonly name?: string;
  /** @default `application/vnd.github+json` (the REST API's); the OAuth endpoint answers JSON only to `application/json`. */
  readonly accept?: string;
  /** Other secret values of the call (a code in its path or body): masked in any error, like the token. */
  readonly secrets?: readonly string[];
}

/** GitHub answered something other than 2xx (and not 404: that is a NotFoundError). */
export class GitHubApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'GitHubApiError';
  }
}

export interface GitHubRestOptions {
  /** @default 10000 */
  readonly timeoutMs?: number;
}

const PER_PAGE = 100;
/** 100 pages of 100: far more repositories or deliveries than one installation has; a bound, not a limit anyone meets. */
const MAX_PAGES = 100;
/** How much of GitHub's own error message goes into ours. */
const MAX_MESSAGE = 300;

/**
 * A small fetch-based GitHub REST client over a base URL (api.github.com, an Enterprise Server's
 * `/api/v3`, or local mode's stand-in). No Octokit: its current versions are ESM-only with ESM
 * dependencies, and the dozen calls Trellis makes need none of it. Errors name the call and
 * GitHub's status and message, with every credential masked; the token is only in a header.
 */
export class GitHubRest {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(baseUrl: string, options: GitHubRestOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** The parsed JSON answer (undefined for an empty one, e.g. 204). */
  async json<T>(request: GitHubRequest): Promise<T> {
    const method = request.method ?? 'GET';
    const name = request.name ?? `${method} ${request.path.split('?')[0]}`;
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${request.path}`, {
        method,
        headers: {
          'accept': request.accept ?? 'application/vnd.github+json',
          'x-github-api-version': '2022-11-28',
          'user-agent': 'trellis-cdk',
          ...request.token !== undefined && { authorization: `Bearer ${request.token}` },
          ...request.body !== undefined && { 'content-type': 'application/json' },
        },
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new Error(withoutSecrets(`GitHub did not answer ${name}: ${errorMessage(error)}`, request.token, ...request.secrets ?? []));
    }
    const text = await response.text();
    if (!response.ok) {
      const message = withoutSecrets(`GitHub answered ${response.status} to ${name}${reason(text)}`, request.token, ...request.secrets ?? []);
      if (response.status === 404) throw new NotFoundError(message);
      throw new GitHubApiError(response.status, message);
    }
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(`GitHub answered ${name} with something that is not JSON`);
    }
  }

  /**
   * Every item of a paginated list (`per_page=100`, pages until a short one); `items` picks the
   * list from a page's body (an array, or e.g. `repositories` of an object).
   */
  async pages<T>(request: GitHubRequest, items: (body: unknown) => readonly T[] | undefined): Promise<T[]> {
    const all: T[] = [];
    const separator = request.path.includes('?') ? '&' : '?';
    for (let page = 1; page <= MAX_PAGES; page++) {
      const body = await this.json<unknown>({ ...request, path: `${request.path}${separator}per_page=${PER_PAGE}&page=${page}` });
      const found = items(body) ?? [];
      all.push(...found);
      if (found.length < PER_PAGE) break;
    }
    return all;
  }
}

/** `: <GitHub's message>`, shortened, when the body has one. */
function reason(text: string): string {
  try {
    const message = (JSON.parse(text) as { message?: unknown; error_description?: unknown });
    const said = typeof message.message === 'string' ? message.message : message.error_description;
    return typeof said === 'string' && said !== '' ? `: ${said.slice(0, MAX_MESSAGE)}` : '';
  } catch {
    return '';
  }
}

/** The message with the given secrets (the call's token, say) and anything shaped like a credential masked. */
export function withoutSecrets(message: string, ...secrets: ReadonlyArray<string | undefined>): string {
  const masked = secrets.reduce<string>((text, secret) => (secret ? text.split(secret).join(MASK) : text), message);
  return maskCredentials(masked).replace(/\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g, MASK);
}
