import { deploy, promote, rollback, teardown } from './actions';
import { createApplication, deleteApplication } from './apps';
import { readAuditTrail, readInstallationAuditTrail } from './audit';
import {
  addEnvironmentAudit, cancelAudit, createApplicationAudit, createTokenAudit, environmentAction, installationAction, revokeTokenAudit,
  rollbackAudit, settingsAudit,
} from './audit-recording';
import { cancel } from './cancel';
import { addEnvironment, deleteEnvironment } from './environments';
import { listFailedDeliveries, redeliver } from './github-deliveries';
import { APP_CREATED_PATH } from './github-manifest';
import { appCreated, createManifest, getGitHubSetup } from './github-setup';
import { listNotificationFailures } from './notifications';
import { approve, switchPreviews } from './previews';
import { getApplication, getDeployment, health, listApplications, listDeployments, me, readLogs } from './reads';
import { Route } from './router';
import { changeSettings } from './settings';
import { createToken, listTokens, revokeToken } from './tokens';
import { finishGitHubSignIn, gitHubSignInDiscovery, gitHubSignInKeys, redeemGitHubSignInCode, startGitHubSignIn } from '../auth/github-sign-in-routes';

/** The control API, route by route, as api-types.ts documents it; each route that changes something is audited (`audit`). */
export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/api/health', handle: health, public: true },
  // Sign in with GitHub: the browser navigates to these, and the token verifiers read the key set.
  { method: 'GET', path: '/auth/github/sign-in', handle: startGitHubSignIn, public: true },
  { method: 'GET', path: '/auth/github/callback', handle: finishGitHubSignIn, public: true },
  // The terminal's one-use code (bound to its PKCE challenge) for a token: the code is the check.
  { method: 'POST', path: '/auth/github/token', handle: redeemGitHubSignInCode, public: true },
  { method: 'GET', path: '/auth/github/.well-known/jwks.json', handle: gitHubSignInKeys, public: true },
  { method: 'GET', path: '/auth/github/.well-known/openid-configuration', handle: gitHubSignInDiscovery, public: true },
  { method: 'GET', path: '/api/me', handle: me },
  { method: 'GET', path: '/api/apps', handle: listApplications },
  { method: 'GET', path: '/api/apps/{app}', handle: getApplication },
  { method: 'GET', path: '/api/apps/{app}/environments/{env}/deployments', handle: listDeployments },
  { method: 'GET', path: '/api/deployments/{id}', handle: getDeployment },
  { method: 'GET', path: '/api/deployments/{id}/logs', handle: readLogs },
  { method: 'POST', path: '/api/apps/{app}/environments/{env}/deploy', handle: deploy, audit: environmentAction('deploy', ['branch', 'commit']) },
  { method: 'POST', path: '/api/apps/{app}/environments/{env}/promote', handle: promote, audit: environmentAction('promote') },
  { method: 'POST', path: '/api/apps/{app}/environments/{env}/rollback', handle: rollback, audit: rollbackAudit },
  { method: 'POST', path: '/api/apps/{app}/environments/{env}/teardown', handle: teardown, audit: environmentAction('teardown') },
  { method: 'POST', path: '/api/deployments/{id}/cancel', handle: cancel, audit: cancelAudit },
  { method: 'PUT', path: '/api/apps/{app}/environments/{env}/settings', handle: changeSettings, audit: settingsAudit },
  { method: 'POST', path: '/api/apps', handle: createApplication, audit: createApplicationAudit },
  { method: 'DELETE', path: '/api/apps/{app}', handle: deleteApplication, audit: environmentAction('delete-application') },
  { method: 'POST', path: '/api/apps/{app}/environments', handle: addEnvironment, audit: addEnvironmentAudit },
  { method: 'DELETE', path: '/api/apps/{app}/environments/{env}', handle: deleteEnvironment, audit: environmentAction('delete-environment') },
  { method: 'POST', path: '/api/apps/{app}/environments/{env}/approve', handle: approve, audit: environmentAction('approve-preview') },
  { method: 'PUT', path: '/api/apps/{app}/previews', handle: switchPreviews, audit: environmentAction('previews-switch', ['enabled']) },
  { method: 'GET', path: '/api/github', handle: getGitHubSetup },
  { method: 'POST', path: '/api/github/manifest', handle: createManifest, audit: installationAction('github-app') },
  // GitHub sends the browser back with the new App's code: no token (the one-use state is the check).
  { method: 'GET', path: APP_CREATED_PATH, handle: appCreated, public: true },
  { method: 'GET', path: '/api/github/deliveries', handle: listFailedDeliveries },
  { method: 'POST', path: '/api/github/deliveries/{delivery}/redeliver', handle: redeliver, audit: installationAction('redeliver', params => params.delivery) },
  { method: 'GET', path: '/api/apps/{app}/audit', handle: readAuditTrail },
  { method: 'GET', path: '/api/apps/{app}/notifications/failures', handle: listNotificationFailures },
  { method: 'GET', path: '/api/audit', handle: readInstallationAuditTrail },
  { method: 'GET', path: '/api/tokens', handle: listTokens },
  { method: 'POST', path: '/api/tokens', handle: createToken, audit: createTokenAudit },
  { method: 'DELETE', path: '/api/tokens/{token}', handle: revokeToken, audit: revokeTokenAudit },
];
