import { SecretSource, Store } from '../runtime/core/ports';
import { BackgroundNotifier, createNotifier } from '../runtime/notifications/notifier';

export interface LocalNotifierOptions {
  readonly store: Pick<Store, 'config' | 'notifications'>;
  readonly installation: string;
  /** Read at each event: the server's URL is known only once it listens. */
  readonly dashboardUrl: () => string;
  /** The local secrets file, once local mode has it (a destination's `secretArn` is read there). */
  readonly secrets: () => SecretSource | undefined;
  readonly log: (entry: Record<string, unknown>) => void;
}

/**
 * Local mode's notifications: what the table's stream and the notifier function do in AWS. Each
 * status change is told as it is written; delivery goes on in the background, so a receiver
 * never holds up a deployment. There is no SNS here: an SNS destination's deliveries fail, recorded.
 */
export function localNotifier(options: LocalNotifierOptions): BackgroundNotifier {
  return createNotifier({
    store: options.store,
    installation: options.installation,
    dashboardUrl: options.dashboardUrl,
    secrets: {
      get: async name => {
        const secrets = options.secrets();
        if (!secrets) throw new Error('local mode is still starting: its secrets cannot be read yet');
        return secrets.get(name);
      },
    },
    log: options.log,
  });
}
