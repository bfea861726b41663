import { ApiCall } from './api-call';
import { loadEnvironment } from './load';
import { requireRole } from './permissions';
import { overrideChanges, parseSettingsBody } from './settings-body';
import { settingsIssues } from './settings-rules';
import { loadEnvironmentView } from './views';
import { secretNames } from '../../contract/secret-names';
import { changeOverrides } from '../core/effective-environment';
import { ValidationError } from '../core/errors';
import { HttpResponse, json } from '../core/http';

/**
 * PUT settings (admin): dashboard overrides of branch, runTests, testCommand and variables
 * (they win over the code's values until cleared with null), and secret variables, written
 * to Secrets Manager and never read back. Answers the environment as it is now.
 *
 * Overrides are replaced as a whole from the values just read: of two admins saving at the
 * same moment, the last one wins.
 */
export async function changeSettings({ principal, params, body, deps }: ApiCall): Promise<HttpResponse> {
  requireRole(principal, params.app, 'admin', 'changing settings');
  const changes = parseSettingsBody(body);
  const { app, env, next } = await loadEnvironment(deps.store, params.app, params.env);
  const secretName = secretNames.environment(deps.installation, app.name, env.name);
  const secretsNow = await deps.secrets.names(secretName);
  const issues = settingsIssues(app, env, changes, secretsNow);
  if (issues.length > 0) throw new ValidationError(issues);

  // Secrets first: if Secrets Manager refuses, nothing has changed.
  const secretChanges = changes.secrets ?? {};
  const secrets = Object.keys(secretChanges).length > 0 ? await deps.secrets.update(secretName, secretChanges) : secretsNow;
  const overrides = overrideChanges(changes);
  const record = overrides ? await deps.store.config.setOverrides(app.name, env.name, changeOverrides(env.overrides, overrides)) : env;
  deps.log({
    message: 'settings changed',
    application: app.name,
    environment: env.name,
    actor: principal.name,
    fields: Object.keys(changes),
    variables: Object.keys(changes.variables ?? {}),
    secrets: Object.keys(secretChanges), // names only
  });
  return json(200, await loadEnvironmentView(app, record, next, principal, deps, secrets));
}
