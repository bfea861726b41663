/** Options of the dashboard page's Content-Security-Policy. */
export interface ContentSecurityPolicyOptions {
  /**
   * Where the page may connect besides its own origin (fetch and WebSocket): the control API,
   * the live log socket, the identity provider's token endpoint. Exact origins or URLs, never
   * a wildcard host.
   */
  readonly connect: readonly string[];
  /**
   * Where the page's forms may be sent besides its own origin: the GitHub web origin the setup
   * page posts the App's manifest to. Exact origins only.
   * @default none
   */
  readonly formAction?: readonly string[];
  /**
   * Ask the browser to load every http: reference over https (an https page only: on local
   * mode's http page it would break every request).
   * @default true
   */
  readonly upgradeInsecureRequests?: boolean;
}

/**
 * What the dashboard's page may load and talk to, the same for CloudFront's response headers
 * policy and local mode's server. Everything comes from its own origin; `connect` adds the
 * named origins. No inline script or style elements, no plugins, no framing.
 */
export function contentSecurityPolicy(options: ContentSecurityPolicyOptions): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    ["connect-src 'self'", ...options.connect].join(' '),
    "object-src 'none'",
    "base-uri 'self'",
    ["form-action 'self'", ...options.formAction ?? []].join(' '),
    "frame-ancestors 'none'",
    ...(options.upgradeInsecureRequests ?? true ? ['upgrade-insecure-requests'] : []),
  ].join('; ');
}
