import { InstallationUrls } from './api-call';
import { GitHubEndpoints } from '../core/github';

/**
 * GitHub's app-manifest flow, the part Trellis decides: what the App is asked to be (its
 * permissions, events and the URLs GitHub sends people and webhooks to) and where the form goes.
 */

/**
 * What Trellis needs as the App: clone (contents), report (statuses, deployments), comment on a
 * pull request with its preview (pull_requests), map teams to roles (members).
 */
export const APP_PERMISSIONS = {
  contents: 'read',
  statuses: 'write',
  deployments: 'write',
  pull_requests: 'write',
  metadata: 'read',
  members: 'read',
} as const;

export const APP_EVENTS = ['push', 'pull_request'] as const;

/** Where GitHub sends the browser with the conversion code: the control API's public route. */
export const APP_CREATED_PATH = '/github/app-created';

/** The manifest GitHub's "new App" form takes (https://docs.github.com/apps/sharing-github-apps/registering-a-github-app-from-a-manifest). */
export interface AppManifest {
  readonly name: string;
  readonly url: string;
  readonly hook_attributes: { readonly url: string; readonly active: boolean };
  readonly redirect_url: string;
  readonly setup_url: string;
  readonly callback_urls: readonly string[];
  readonly public: boolean;
  readonly default_permissions: Readonly<Record<string, string>>;
  readonly default_events: readonly string[];
}

export function appManifest(name: string, urls: InstallationUrls): AppManifest {
  return {
    name,
    url: dashboardPage(urls, ''),
    hook_attributes: { url: urls.webhook, active: true },
    redirect_url: `${base(urls.api)}${APP_CREATED_PATH}`,
    // After an installation, GitHub sends the admin back to the setup page.
    setup_url: dashboardPage(urls, '/setup'),
    // Sign in with GitHub returns there (the App's user authorization).
    callback_urls: [`${base(urls.api)}/auth/github/callback`],
    public: false,
    default_permissions: APP_PERMISSIONS,
    default_events: APP_EVENTS,
  };
}

/** Where the manifest form is posted: the admin's account, or an organization they own. */
export function manifestFormAction(endpoints: GitHubEndpoints, state: string, organization?: string): string {
  const owner = organization === undefined ? '' : `/organizations/${encodeURIComponent(organization)}`;
  return `${base(endpoints.webUrl)}${owner}/settings/apps/new?state=${encodeURIComponent(state)}`;
}

/** The page where an admin installs the App on repositories. */
export function installUrl(endpoints: GitHubEndpoints, slug: string): string {
  return `${base(endpoints.webUrl)}/apps/${encodeURIComponent(slug)}/installations/new`;
}

/** A dashboard page by its hash route (`/setup`), or the dashboard itself (''). */
export function dashboardPage(urls: InstallationUrls, route: string, query = ''): string {
  return route === '' ? `${base(urls.dashboard)}/` : `${base(urls.dashboard)}/#${route}${query}`;
}

function base(url: string): string {
  return url.replace(/\/+$/, '');
}
