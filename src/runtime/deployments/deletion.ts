import { ConflictError, errorMessage } from '../core/errors';
import { Store } from '../core/ports';
import { Deployment } from '../core/types';

/**
 * The end of deleting a dashboard-made environment (api/deletion.ts) or a closed pull request's
 * preview (previews/pull-requests.ts): once the teardown it waits
 * for succeeded and the lock is released, its configuration goes; and the application's, when
 * it is being deleted and nothing runs in it any more. A teardown that did not succeed leaves
 * the mark (the environment's view says why; deleting again retries). Never throws: the
 * deployment has ended either way; a failure is logged and a repeated stop event tries again.
 */
export async function finishDeletion(
  teardown: Deployment,
  store: Store,
  log: (entry: Record<string, unknown>) => void = () => undefined,
): Promise<void> {
  if (teardown.action !== 'teardown' || teardown.status !== 'succeeded') return;
  const { application, environment } = teardown;
  try {
    const env = await store.config.getEnvironment(application, environment);
    // A closed pull request's preview: removed, its place under the cap given back.
    if (env?.preview && env.deleting) {
      if (await store.previews.remove(application, environment)) {
        log({ message: 'preview removed after its teardown', application, environment, teardown: teardown.id });
      }
      return;
    }
    if (env?.deleting) {
      await store.config.deleteEnvironment(application, environment);
      log({ message: 'environment deleted after its teardown', application, environment, teardown: teardown.id });
    }
    const app = await store.config.getApplication(application);
    if (!app?.deleting) return;
    await store.config.deleteApplication(application);
    log({ message: 'application deleted after its teardowns', application, teardown: teardown.id });
  } catch (error) {
    // Another environment's teardown still runs: its end deletes the application.
    if (error instanceof ConflictError) return;
    log({ message: 'deletion after a teardown failed', application, environment, teardown: teardown.id, error: errorMessage(error) });
  }
}
