import { SecretSource, Store } from '../runtime/core/ports';
import { ApplicationConfig } from '../runtime/core/types';
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

export interface LocalNotifier extends BackgroundNotifier {
  /**
   * The applications as the table keeps them: a webhook's key and a Slack URL given in the config
   * file are held by this process and named (`secretArn`, `urlSecretArn`), as in AWS, so the table
   * never holds them. Call it with every configuration before it is written.
   */
  withoutSecrets(applications: readonly ApplicationConfig[]): ApplicationConfig[];
}

/** Where a config file's secret is kept in this process: never a name the secrets file uses. */
const HELD = 'local-config:';

/**
 * Local mode's notifications: what the table's stream and the notifier function do in AWS. Each
 * status change is told as it is written; delivery goes on in the background, so a receiver
 * never holds up a deployment.
 */
export function localNotifier(options: LocalNotifierOptions): LocalNotifier {
  const held = new Map<string, string>();
  const notifier = createNotifier({
    store: options.store,
    installation: options.installation,
    dashboardUrl: options.dashboardUrl,
    secrets: {
      get: async name => {
        const value = held.get(name);
        if (value !== undefined) return value;
        const secrets = options.secrets();
        if (!secrets) throw new Error('local mode is still starting: its secrets cannot be read yet');
        return secrets.get(name);
      },
    },
    log: options.log,
  });
  return {
    ...notifier,
    withoutSecrets: applications => applications.map(app => (app.notifications === undefined ? app : {
      ...app,
      notifications: app.notifications.map((destination, index) => {
        const name = `${HELD}${app.name}/${index}`;
        if (destination.kind === 'webhook' && destination.secret !== undefined) {
          held.set(name, destination.secret);
          const { secret: _secret, ...rest } = destination;
          return { ...rest, secretArn: name };
        }
        if (destination.kind === 'slack' && destination.url !== undefined) {
          held.set(name, destination.url);
          const { url: _url, ...rest } = destination;
          return { ...rest, urlSecretArn: name };
        }
        return destination;
      }),
    })),
  };
}
