import { ApiCall, ApiDeps } from './api-call';
import { parseApplicationBody } from './app-body';
import { refuseCodeDefined, requireConfirmation, tearDownAndDelete } from './deletion';
import { loadApplication } from './load';
import { requireInstallationAdmin, requireRole } from './permissions';
import { applicationView } from './views';
import { secretNames } from '../../contract/secret-names';
import { ConflictError, ValidationError } from '../core/errors';
import { HttpResponse, json } from '../core/http';
import { printable } from '../core/names';
import { isPlainObject } from '../core/plain-object';

/**
 * Applications made on the dashboard (admin): stored like code-defined ones with origin
 * `dashboard`, side by side with them; config sync from code never removes one.
 */

/** POST /api/apps: 201 with the application. */
export async function createApplication({ principal, body, deps }: ApiCall): Promise<HttpResponse> {
  requireInstallationAdmin(principal, 'creating an application');
  const app = parseApplicationBody(await withLocalRepository(body, deps));
  const problem = await repositoryProblem(app.repository, deps);
  if (problem) throw new ValidationError([{ path: 'repository', message: problem }]);
  if (await deps.store.config.getApplication(app.name)) throw new ConflictError(`application ${app.name} exists`);
  for (const env of app.environments) await forgetLeftoverSecrets(app.name, env.name, deps);
  const created = await deps.store.config.createApplication(app);
  deps.log({ message: 'application created', application: app.name, repository: app.repository, environments: app.environments.map(env => env.name), actor: principal.name });
  return json(201, await applicationView(await loadApplication(deps.store, created.name), principal, deps));
}

/** DELETE /api/apps/{app} `{ confirm }`: every environment torn down, then the application gone. */
export async function deleteApplication({ principal, params, body, deps }: ApiCall): Promise<HttpResponse> {
  requireRole(principal, params.app, 'admin', 'deleting an application');
  const options = requireConfirmation(body, params.app, 'application');
  const app = await loadApplication(deps.store, params.app);
  refuseCodeDefined(app, 'it cannot be deleted here');
  return tearDownAndDelete(app, app.environments, true, { principal, deps }, options);
}

/** Local mode: an absolute path as the repository names a local git repository, which its GitHub stand-in then hosts. */
async function withLocalRepository(body: unknown, deps: ApiDeps): Promise<unknown> {
  if (!deps.localRepositories || !isPlainObject(body) || typeof body.repository !== 'string' || !body.repository.startsWith('/')) return body;
  return { ...body, repository: await deps.localRepositories.host(body.repository) };
}

/**
 * With a GitHub App, only a repository it is installed on (its webhooks arrive and builds can
 * clone it); without one, any `owner/repo` (the personal access token reaches it, or not).
 */
async function repositoryProblem(repository: string, deps: ApiDeps): Promise<string | undefined> {
  const gitHubApp = await deps.github?.app();
  if (!gitHubApp) return undefined;
  const installed = await gitHubApp.installedRepositories();
  if (installed.some(repo => repo.fullName.toLowerCase() === repository.toLowerCase())) return undefined;
  return `the GitHub App is not installed on '${printable(repository)}': install the App on it (or choose one of its ${installed.length} repositories)`;
}

/**
 * A new environment starts without secret variables: names left in the secret of an earlier
 * environment of the same name (deleted ones keep theirs: their teardown may need them) are deleted.
 */
export async function forgetLeftoverSecrets(application: string, environment: string, deps: ApiDeps): Promise<void> {
  const name = secretNames.environment(deps.installation, application, environment);
  const leftover = await deps.secrets.names(name);
  if (leftover.length > 0) await deps.secrets.update(name, Object.fromEntries(leftover.map(secret => [secret, null])));
}
