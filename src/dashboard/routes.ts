import { AUDIT_ACTIONS, AuditFilters, auditQuery } from './audit';
import { ALL_APPLICATIONS } from '../runtime/core/access';
import { AuditAction } from '../runtime/core/api-types';

/**
 * Hash routes: the dashboard is static files on S3/CloudFront, so every route must be
 * the same index.html without server-side rewrites.
 *
 *   #/                                  apps
 *   #/apps/<app>                        the app's pipeline
 *   #/apps/<app>/environments/<env>     an environment's history
 *   #/apps/<app>/audit?action=&environment=&actor=   the application's audit trail, filtered
 *   #/audit?action=&actor=              the installation's own audit trail (app `*`)
 *   #/deployments/<id>                  one deployment with its live log
 *   #/setup                             connecting GitHub (GitHub returns here with `?created=1` or `?installation_id=...`)
 *   #/tokens                            API tokens for CI and scripts
 */
export type Route =
  | { readonly page: 'apps' }
  | { readonly page: 'app'; readonly app: string }
  | { readonly page: 'history'; readonly app: string; readonly env: string }
  | { readonly page: 'audit'; readonly app: string; readonly filters: AuditFilters }
  | { readonly page: 'deployment'; readonly id: string }
  | { readonly page: 'setup'; readonly created: boolean }
  | { readonly page: 'tokens' }
  | { readonly page: 'not-found'; readonly path: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  const audit = /^\/apps\/([^/?]+)\/audit\/?(?:\?(.*))?$/.exec(path);
  if (audit) return { page: 'audit', app: safeDecode(audit[1]), filters: auditFilters(new URLSearchParams(audit[2] ?? '')) };
  const installationAudit = /^\/audit\/?(?:\?(.*))?$/.exec(path);
  if (installationAudit) return { page: 'audit', app: ALL_APPLICATIONS, filters: auditFilters(new URLSearchParams(installationAudit[1] ?? '')) };
  const setup = /^\/setup\/?(?:\?(.*))?$/.exec(path);
  if (setup) return { page: 'setup', created: new URLSearchParams(setup[1] ?? '').get('created') === '1' };
  const parts = path.split('/').filter(part => part !== '').map(safeDecode);
  if (parts.length === 0) return { page: 'apps' };
  if (parts[0] === 'apps' && parts.length === 2) return { page: 'app', app: parts[1] };
  if (parts[0] === 'apps' && parts[2] === 'environments' && parts.length === 4) return { page: 'history', app: parts[1], env: parts[3] };
  if (parts[0] === 'deployments' && parts.length === 2) return { page: 'deployment', id: parts[1] };
  if (parts[0] === 'tokens' && parts.length === 1) return { page: 'tokens' };
  return { page: 'not-found', path };
}

export const href = {
  apps: () => '#/',
  app: (app: string) => `#/apps/${encodeURIComponent(app)}`,
  history: (app: string, env: string) => `#/apps/${encodeURIComponent(app)}/environments/${encodeURIComponent(env)}`,
  audit: (app: string, filters: AuditFilters = {}) => {
    const text = auditQuery(filters).toString();
    const trail = app === ALL_APPLICATIONS ? '#/audit' : `#/apps/${encodeURIComponent(app)}/audit`;
    return `${trail}${text ? `?${text}` : ''}`;
  },
  deployment: (id: string) => `#/deployments/${encodeURIComponent(id)}`,
  setup: () => '#/setup',
  tokens: () => '#/tokens',
};

/** Unknown actions are dropped (the select could not show them); empty values mean no filter. */
function auditFilters(query: URLSearchParams): AuditFilters {
  const action = query.get('action') ?? '';
  return {
    ...(AUDIT_ACTIONS as readonly string[]).includes(action) && { action: action as AuditAction },
    ...query.get('environment') && { environment: query.get('environment')! },
    ...query.get('actor') && { actor: query.get('actor')! },
  };
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
