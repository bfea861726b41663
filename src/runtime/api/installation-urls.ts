import { InstallationUrls } from './api-call';
import { CONTROL_API_ENV, GITHUB_ENV } from '../../contract/function-environment';

/**
 * The control API's own addresses from its function's environment, which TrellisPipeline sets
 * when it has a GitHub App: the API's URL, the webhook's, and the dashboard's (the first of its
 * CORS origins: the CloudFront URL, before any extra callback URL's origin). Undefined while one
 * is missing: the setup page then cannot make an App.
 */
export function installationUrlsFromEnvironment(env: Readonly<Record<string, string | undefined>>): InstallationUrls | undefined {
  const api = env[GITHUB_ENV.controlApiUrl];
  const webhook = env[GITHUB_ENV.webhookUrl];
  const dashboard = env[CONTROL_API_ENV.dashboardOrigins]?.split(' ').find(origin => origin !== '');
  return api && webhook && dashboard ? { api, dashboard, webhook } : undefined;
}
