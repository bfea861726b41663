import { ApiClient, ApiRefusal } from './api-client';
import { CliError } from './exit-codes';
import { oneLine } from './log-lines';
import { ApplicationView, EnvironmentView } from '../runtime/core/api-types';

/**
 * An application's environments as the commands look them up, and what a "does not exist"
 * says: an unknown application points to `trellis apps`, an unknown environment lists the ones
 * the application has (one GET /api/apps/{app}, made only once the API said 404).
 */

/** `app`'s view; an application that does not exist says where the list is. */
export async function appView(client: ApiClient, app: string): Promise<ApplicationView> {
  try {
    return await client.app(app);
  } catch (error) {
    throw error instanceof ApiRefusal && error.status === 404 ? new CliError(`${error.message} (trellis apps lists them)`) : error;
  }
}

export interface EnvironmentInApp {
  readonly environment: EnvironmentView;
  /** All of the application's, in promotion order. */
  readonly environments: readonly EnvironmentView[];
}

/** The environment `env` of `app` (and all of them, in order), or an error listing the application's environments. */
export async function environmentOf(client: ApiClient, app: string, env: string): Promise<EnvironmentInApp> {
  const { environments } = await appView(client, app);
  const environment = environments.find(candidate => candidate.name === env);
  if (!environment) throw new CliError(`${app} has no environment ${env} (it has ${oneLine(environments.map(e => e.name).join(', ')) || 'none'})`);
  return { environment, environments };
}

/** A call about `app`/`env`: when the API answers 404, say which of the two does not exist and what does. */
export async function explainingNotFound<T>(client: ApiClient, app: string, env: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    // Both exist: the 404 was about something else (a commit, a deployment); its own reason says so.
    if (error instanceof ApiRefusal && error.status === 404) await environmentOf(client, app, env);
    throw error;
  }
}
