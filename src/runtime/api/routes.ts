import { deploy, promote, rollback, teardown } from './actions';
import { cancel } from './cancel';
import { getApplication, getDeployment, health, listApplications, listDeployments, me, readLogs } from './reads';
import { Route } from './router';
import { changeSettings } from './settings';

/** The control API, route by route, as api-types.ts documents it. */
export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/api/health', handle: health, public: true },
  { method: 'GET', path: '/api/me', handle: me },
  { method: 'GET', path: '/api/apps', handle: listApplications },
  { method: 'GET', path: '/api/apps/{app}', handle: getApplication },
  { method: 'GET', path: '/api/apps/{app}/environments/{env}/deployments', handle: listDeployments },
  { method: 'GET', path: '/api/deployments/{id}', handle: getDeployment },
  { method: 'GET', path: '/api/deployments/{id}/logs', handle: readLogs },
  { method: 'POST', path: '/api/apps/{app}/environments/{env}/deploy', handle: deploy },
  { method: 'POST', path: '/api/apps/{app}/environments/{env}/promote', handle: promote },
  { method: 'POST', path: '/api/apps/{app}/environments/{env}/rollback', handle: rollback },
  { method: 'POST', path: '/api/apps/{app}/environments/{env}/teardown', handle: teardown },
  { method: 'POST', path: '/api/deployments/{id}/cancel', handle: cancel },
  { method: 'PUT', path: '/api/apps/{app}/environments/{env}/settings', handle: changeSettings },
];
