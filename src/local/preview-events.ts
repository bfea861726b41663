import { Notifier, Store } from '../runtime/core/ports';
import { PreviewStore } from '../runtime/core/preview-store';
import { PreviewRecord } from '../runtime/core/types';

/**
 * The store with each preview made or removed told to `notifier` (preview.created,
 * preview.removed) once written: local mode's equivalent of the notifier function reading those
 * items' changes on the table's stream in AWS. Whoever makes or removes one (the webhook, the
 * sweep, the finalizer after a teardown), the event comes from the write itself.
 */
export function observePreviews(store: Store, notifier: () => Notifier | undefined): Store {
  const previews = store.previews;
  const tell = (event: 'preview.created' | 'preview.removed', application: string, environment: string, preview: PreviewRecord) => {
    void notifier()?.notifyEnvironment(event, application, environment, {
      pullRequest: { number: preview.pullRequest, title: preview.title, author: preview.author },
    }).catch(() => undefined);
  };
  const observed: PreviewStore = {
    settings: application => previews.settings(application),
    setEnabled: (application, enabled) => previews.setEnabled(application, enabled),
    open: async (application, env, preview, position, maxConcurrent) => {
      const opening = await previews.open(application, env, preview, position, maxConcurrent);
      if (opening.outcome === 'opened') tell('preview.created', application, env.name, preview);
      return opening;
    },
    update: (application, environment, change, expect) => previews.update(application, environment, change, expect),
    markDeleting: (application, environment, mark) => previews.markDeleting(application, environment, mark),
    remove: async (application, environment) => {
      const before = await store.config.getEnvironment(application, environment);
      const removed = await previews.remove(application, environment);
      if (removed && before?.preview) tell('preview.removed', application, environment, before.preview);
      return removed;
    },
  };
  return { ...store, previews: observed };
}
