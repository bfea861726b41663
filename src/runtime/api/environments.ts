import { ApiCall } from './api-call';
import { MAX_ENVIRONMENTS, parseEnvironmentBody } from './app-body';
import { forgetLeftoverSecrets } from './apps';
import { refuseCodeDefined, requireConfirmation, tearDownAndDelete } from './deletion';
import { loadApplication, loadEnvironment } from './load';
import { requireRole } from './permissions';
import { loadEnvironmentView } from './views';
import { secretNames } from '../../contract/secret-names';
import { validateApplication } from '../core/config-validation';
import { ConflictError, ValidationError } from '../core/errors';
import { HttpResponse, json } from '../core/http';

const AT = 'application';

/** POST /api/apps/{app}/environments: a custom environment at the end of a dashboard-made application's promotion order; 201. */
export async function addEnvironment({ principal, params, body, deps }: ApiCall): Promise<HttpResponse> {
  requireRole(principal, params.app, 'admin', 'adding an environment');
  const app = await loadApplication(deps.store, params.app);
  refuseCodeDefined(app, 'no environment can be added here');
  const { env, secrets } = parseEnvironmentBody(body, app);
  if (app.deleting) throw new ConflictError(`application ${app.name} is being deleted`);
  if (app.environments.some(other => other.name === env.name)) throw new ConflictError(`environment ${app.name}/${env.name} exists`);
  if (app.environments.length >= MAX_ENVIRONMENTS) throw new ConflictError(`application ${app.name} has ${MAX_ENVIRONMENTS} environments, the most it can have`);
  // The rules across environments (one branch deploying two of them on push), reported on the new one's fields.
  const index = app.environments.length;
  const prefix = `${AT}.environments[${index}].`;
  const issues = validateApplication({ ...app, environments: [...app.environments, env] }, {}, AT)
    .filter(issue => issue.path.startsWith(prefix))
    .map(issue => ({ ...issue, path: issue.path.slice(prefix.length) }));
  if (issues.length > 0) throw new ValidationError(issues);

  // Secrets first: if Secrets Manager refuses, nothing is created.
  await forgetLeftoverSecrets(app.name, env.name, deps);
  const secretName = secretNames.environment(deps.installation, app.name, env.name);
  const names = Object.keys(secrets).length > 0 ? await deps.secrets.update(secretName, secrets) : [];
  await deps.store.config.addEnvironment(app.name, env);
  deps.log({ message: 'environment added', application: app.name, environment: env.name, kind: env.kind, secrets: names, actor: principal.name });
  const added = await loadEnvironment(deps.store, app.name, env.name);
  return json(201, await loadEnvironmentView(added.app, added.env, added.next, principal, deps, names));
}

/** DELETE /api/apps/{app}/environments/{env} `{ confirm }`: torn down, then gone. The only environment goes with its application. */
export async function deleteEnvironment({ principal, params, body, deps }: ApiCall): Promise<HttpResponse> {
  requireRole(principal, params.app, 'admin', 'deleting an environment');
  const options = requireConfirmation(body, params.env, 'environment');
  const { app, env } = await loadEnvironment(deps.store, params.app, params.env);
  refuseCodeDefined(app, `${app.name}/${env.name} cannot be deleted here`);
  if (app.environments.length === 1) throw new ConflictError(`${env.name} is the only environment of ${app.name}: delete the application instead`);
  return tearDownAndDelete(app, [env], false, { principal, deps }, options);
}
