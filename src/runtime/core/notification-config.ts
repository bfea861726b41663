/**
 * Notifications as configured on an application (code, the local config file, the construct):
 * plain data, no imports, so types.ts can hold it on ApplicationConfig.
 */

/** What happened, as a destination filters on it and a receiver reads it (`event` in the payload). */
export type NotificationEvent =
  | 'deployment.queued'
  | 'deployment.succeeded'
  | 'deployment.failed'
  | 'deployment.superseded'
  /** A rollback succeeded; `trigger.kind` is 'auto-rollback' for the one made after a failed health check. */
  | 'deployment.rolled_back'
  /** A teardown succeeded: the environment runs nothing any more. */
  | 'environment.torn_down'
  | 'preview.created'
  | 'preview.removed';

export const NOTIFICATION_EVENTS: readonly NotificationEvent[] = [
  'deployment.queued',
  'deployment.succeeded',
  'deployment.failed',
  'deployment.superseded',
  'deployment.rolled_back',
  'environment.torn_down',
  'preview.created',
  'preview.removed',
];

export type NotificationKind = 'webhook' | 'slack' | 'sns';

export const NOTIFICATION_KINDS: readonly NotificationKind[] = ['webhook', 'slack', 'sns'];

/**
 * Where an application's notifications go. Which fields a kind uses:
 * - webhook: `url`, and its HMAC key as `secretArn` (a secret's name or ARN: AWS) or `secret` (the value: local config);
 * - slack: the incoming webhook's URL as `urlSecretArn` (AWS) or `url` (local config);
 * - sns: `topicArn`.
 * Secrets stay out of the stored configuration in AWS: the notifier reads them when it sends.
 */
export interface NotificationDestinationConfig {
  readonly kind: NotificationKind;
  readonly url?: string;
  /** webhook, local config only: the HMAC key itself. */
  readonly secret?: string;
  /** webhook: the secret (name or ARN) holding the HMAC key. */
  readonly secretArn?: string;
  /** slack: the secret (name or ARN) holding the incoming webhook's URL. */
  readonly urlSecretArn?: string;
  readonly topicArn?: string;
  /** Only these events; absent = every event. */
  readonly events?: readonly NotificationEvent[];
  /** Only these environments' events; absent = every environment's. */
  readonly environments?: readonly string[];
}
