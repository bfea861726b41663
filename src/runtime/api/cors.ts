import { HttpResponse, rejection } from '../core/http';

/** What a dashboard page may send cross-origin: the API's methods and the two headers it reads. */
export const CORS_METHODS: readonly string[] = ['GET', 'POST', 'PUT', 'DELETE'];
export const CORS_HEADERS: readonly string[] = ['authorization', 'content-type'];
/** How long a browser may reuse a preflight answer. */
const MAX_AGE_SECONDS = 3600;

/**
 * Cross-origin access to the control API, answered by the API function rather than by API
 * Gateway: the allowed origins are the dashboard's (and its extra callback URLs'), exact, with
 * no wildcard. Anything else gets no `access-control-allow-origin`, so a page of another origin
 * cannot read an answer (the CLI sends no Origin and needs none).
 */
export class CorsPolicy {
  /** The origins in a space-separated list (the function's `DASHBOARD_ORIGINS`); none when absent. */
  public static fromList(value: string | undefined): CorsPolicy {
    return new CorsPolicy((value ?? '').split(' ').filter(origin => origin !== ''));
  }

  private readonly origins: ReadonlySet<string>;

  constructor(origins: readonly string[]) {
    this.origins = new Set(origins);
  }

  /** True for an origin of the list (compared as the browser sends it: scheme, host, port). */
  public allows(origin: string | undefined): origin is string {
    return origin !== undefined && this.origins.has(origin);
  }

  /** The answer to an OPTIONS request: the preflight grant for an allowed origin, 403 for any other. */
  public preflight(origin: string | undefined): HttpResponse {
    if (!this.allows(origin)) {
      const refused = rejection(403, 'origin_not_allowed', `the origin ${origin === undefined ? '(none)' : `'${origin}'`} may not call this API from a browser`);
      return { ...refused, headers: { ...refused.headers, vary: 'origin' } };
    }
    return {
      statusCode: 204,
      headers: {
        'access-control-allow-origin': origin,
        'access-control-allow-methods': CORS_METHODS.join(', '),
        'access-control-allow-headers': CORS_HEADERS.join(', '),
        'access-control-max-age': String(MAX_AGE_SECONDS),
        'vary': 'origin',
      },
      body: '',
    };
  }

  /** `response`, readable by a page of `origin` when that origin is allowed. */
  public apply(response: HttpResponse, origin: string | undefined): HttpResponse {
    const headers: Record<string, string> = { ...response.headers, vary: 'origin' };
    if (this.allows(origin)) headers['access-control-allow-origin'] = origin;
    return { ...response, headers };
  }
}
