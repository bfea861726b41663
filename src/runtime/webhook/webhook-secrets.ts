import { NotFoundError } from '../core/errors';
import { isPlainObject } from '../core/plain-object';
import { SecretSource } from '../core/ports';

/**
 * The secrets a delivery may be signed with: the installation's own webhook secret (the
 * per-repository webhooks) and, once the GitHub App exists, the App's (every repository the
 * App is installed on). The App's secret is read when asked for: the setup page may create
 * the App after the function started.
 */
export function webhookSecrets(own: () => Promise<string>, source: SecretSource, appSecretName?: string): () => Promise<string[]> {
  return async () => {
    const [installation, app] = await Promise.all([own(), appSecretName ? appWebhookSecret(source, appSecretName) : undefined]);
    return app === undefined ? [installation] : [installation, app];
  };
}

/**
 * The App's webhook secret, stored as `{ "secret": "..." }` (plain text is taken as it is, for
 * an App made by hand); undefined while it does not exist.
 */
export async function appWebhookSecret(source: SecretSource, name: string): Promise<string | undefined> {
  let raw: string;
  try {
    raw = await source.get(name);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return raw;
  }
  return isPlainObject(value) && typeof value.secret === 'string' ? value.secret : raw;
}
