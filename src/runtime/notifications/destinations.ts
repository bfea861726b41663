import { postJson } from './http-post';
import { NotificationDestinationConfig } from '../core/notification-config';
import { NOTIFICATION_HEADERS, NotificationPayload, notificationSignature, slackMessage } from '../core/notifications';
import { SecretSource, TopicPublisher } from '../core/ports';

export interface DestinationDeps {
  /** Where `secretArn` and `urlSecretArn` are read (Secrets Manager; local mode's secrets file). */
  readonly secrets: SecretSource;
  /** SNS; absent where there is none (local mode). */
  readonly topics?: TopicPublisher;
  /** One attempt's limit. */
  readonly timeoutMs: number;
  /**
   * Send to https:// URLs only (AWS: a URL resolved at deploy time, or a Slack URL read from its
   * secret, escaped the synth-time check); local mode sends to http:// too. @default false
   */
  readonly httpsOnly?: boolean;
}

/**
 * One attempt at one destination; throws why it failed (never with a secret or a Slack URL in
 * the message). `body` is the payload as JSON, exactly the bytes signed and sent.
 */
export async function sendToDestination(
  destination: NotificationDestinationConfig, payload: NotificationPayload, body: string, deps: DestinationDeps,
): Promise<void> {
  switch (destination.kind) {
    case 'webhook': {
      const secret = destination.secret ?? await deps.secrets.get(required(destination.secretArn, 'secretArn'));
      await postJson(sendable(required(destination.url, 'url'), deps), body, {
        [NOTIFICATION_HEADERS.signature]: notificationSignature(secret, body),
        [NOTIFICATION_HEADERS.event]: payload.event,
        [NOTIFICATION_HEADERS.delivery]: payload.id,
        [NOTIFICATION_HEADERS.sequence]: String(payload.sequence),
        [NOTIFICATION_HEADERS.timestamp]: payload.timestamp,
      }, deps.timeoutMs);
      return;
    }
    case 'slack': {
      const url = destination.url ?? (await deps.secrets.get(required(destination.urlSecretArn, 'urlSecretArn'))).trim();
      await postJson(sendable(url, deps), JSON.stringify(slackMessage(payload)), {}, deps.timeoutMs);
      return;
    }
    case 'sns':
      if (!deps.topics) throw new Error('SNS cannot be reached from here');
      await deps.topics.publish(required(destination.topicArn, 'topicArn'), body, { event: payload.event });
      return;
  }
}

/** `url`, unless https is required and it is not: then the failure says so (never the URL: a Slack URL is a secret). */
function sendable(url: string, deps: DestinationDeps): string {
  if (deps.httpsOnly && !/^https:\/\//i.test(url)) throw new Error('not sent: the URL is not https:// (here only https:// URLs are sent to)');
  return url;
}

/** The destination as failures name it: nothing secret (a webhook by its URL's origin). */
export function destinationLabel(destination: NotificationDestinationConfig): string {
  switch (destination.kind) {
    case 'webhook': return destination.url ? originOf(destination.url) : 'webhook';
    case 'slack': return 'slack';
    case 'sns': return destination.topicArn ?? 'sns';
  }
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'webhook';
  }
}

/** The configuration parser makes sure a kind's fields are there; a stored item written otherwise fails here, named. */
function required(value: string | undefined, field: string): string {
  if (value === undefined || value === '') throw new Error(`the destination has no ${field}`);
  return value;
}
