import { NotFoundError } from '../core/errors';
import { Store } from '../core/ports';
import { ApplicationRecord, EnvironmentRecord } from '../core/types';

/** An application with its environments as records (runtime state, effective settings), in promotion order. */
export interface LoadedApplication extends Omit<ApplicationRecord, 'environments'> {
  /** In promotion order; pull requests' previews are not among them. */
  readonly environments: readonly EnvironmentRecord[];
  /** Pull requests' preview environments, by number. */
  readonly previewEnvironments: readonly EnvironmentRecord[];
}

export interface LoadedEnvironment {
  readonly app: LoadedApplication;
  readonly env: EnvironmentRecord;
  /** The environment a promotion from `env` deploys to. */
  readonly next?: EnvironmentRecord;
}

export async function loadApplication(store: Store, name: string): Promise<LoadedApplication> {
  const [app, environments] = await Promise.all([store.config.getApplication(name), store.config.listEnvironments(name)]);
  if (!app) throw new NotFoundError(`application ${name} does not exist`);
  return { ...app, ...splitPreviews(environments) };
}

/** An application's environments apart from its previews (which are never in promotion order). */
export function splitPreviews(all: readonly EnvironmentRecord[]): Pick<LoadedApplication, 'environments' | 'previewEnvironments'> {
  return { environments: all.filter(env => !env.preview), previewEnvironments: all.filter(env => env.preview) };
}

export async function loadEnvironment(store: Store, application: string, environment: string): Promise<LoadedEnvironment> {
  const app = await loadApplication(store, application);
  const index = app.environments.findIndex(env => env.name === environment);
  const preview = app.previewEnvironments.find(env => env.name === environment);
  if (preview) return { app, env: preview };
  if (index < 0) throw new NotFoundError(`environment ${application}/${environment} does not exist`);
  return { app, env: app.environments[index], next: app.environments[index + 1] };
}
