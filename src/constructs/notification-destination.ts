import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { keysOf } from '../runtime/core/config-keys';
import { ValidationIssue } from '../runtime/core/errors';
import { NotificationDestinationConfig, NotificationEvent } from '../runtime/core/notification-config';
import { isPlainObject } from '../runtime/core/plain-object';
import { unknownKeyIssues } from '../runtime/core/unknown-keys';

/** What happened to an environment, as a destination filters on it (`event` in the payload). */
export enum NotificationEventType {
  /** A deployment (of any action) was queued. */
  DEPLOYMENT_QUEUED = 'deployment.queued',
  /** A deploy or a promotion succeeded. */
  DEPLOYMENT_SUCCEEDED = 'deployment.succeeded',
  /** A deployment failed; the payload says why. */
  DEPLOYMENT_FAILED = 'deployment.failed',
  /** A newer deployment of the environment took a queued one's place. */
  DEPLOYMENT_SUPERSEDED = 'deployment.superseded',
  /** A rollback succeeded (`trigger.kind` is `auto-rollback` for the one after a failed health check). */
  DEPLOYMENT_ROLLED_BACK = 'deployment.rolled_back',
  /** A teardown succeeded: the environment runs nothing any more. */
  ENVIRONMENT_TORN_DOWN = 'environment.torn_down',
  /** A pull request's preview environment was made. */
  PREVIEW_CREATED = 'preview.created',
  /** A pull request's preview environment was removed. */
  PREVIEW_REMOVED = 'preview.removed',
}

/** Which events a destination gets. */
export interface NotificationFilterOptions {
  /**
   * Only these events.
   * @default - every event
   */
  readonly events?: NotificationEventType[];

  /**
   * Only the events of these environments of the application (an environment's own destinations).
   * @default - every environment's
   */
  readonly environments?: string[];
}

/** A webhook that receives each notification as signed JSON. */
export interface WebhookNotificationOptions extends NotificationFilterOptions {
  /** The https:// URL each notification is POSTed to. */
  readonly url: string;

  /**
   * The HMAC key (the secret's whole string value): each delivery carries
   * `X-Trellis-Signature-256: sha256=<HMAC-SHA256 of the body>`, which the receiver checks.
   */
  readonly secret: secretsmanager.ISecret;
}

/** A Slack channel's incoming webhook. */
export interface SlackNotificationOptions extends NotificationFilterOptions {
  /** The secret whose string value is the incoming webhook's URL (the URL is a credential itself). */
  readonly webhookUrl: secretsmanager.ISecret;
}

const FILTER_KEYS = { events: true, environments: true } as const;
const WEBHOOK_KEYS = keysOf<WebhookNotificationOptions>({ ...FILTER_KEYS, url: true, secret: true });
const SLACK_KEYS = keysOf<SlackNotificationOptions>({ ...FILTER_KEYS, webhookUrl: true });
const FILTER_OPTION_KEYS = keysOf<NotificationFilterOptions>(FILTER_KEYS);

/**
 * Where an application's notifications go: a signed webhook, Slack, or an SNS topic. Delivery
 * never holds up or fails a deployment: a notifier function follows the state table's stream and
 * sends each event with a timeout per attempt and bounded retries; what is not delivered is
 * listed on the dashboard and counted (`metricNotificationFailures`).
 *
 * @example
 * const hookKey = new secretsmanager.Secret(stack, 'HookKey');
 * const topic = new sns.Topic(stack, 'Deployments');
 * const trellis = new TrellisPipeline(stack, 'Trellis', {
 *   applications: [{
 *     name: 'shop',
 *     repository: 'acme/shop',
 *     notifications: [
 *       NotificationDestination.webhook({ url: 'https://hooks.example.com/trellis', secret: hookKey }),
 *       NotificationDestination.snsTopic(topic, { events: [NotificationEventType.DEPLOYMENT_FAILED], environments: ['production'] }),
 *     ],
 *   }],
 * });
 */
export class NotificationDestination {
  /**
   * POST each notification as JSON to `url`, signed with the secret's value (HMAC-SHA256).
   *
   * @example
   * const hook = NotificationDestination.webhook({
   *   url: 'https://hooks.example.com/trellis',
   *   secret: secretsmanager.Secret.fromSecretNameV2(stack, 'HookKey', 'shop/notifications-key'),
   * });
   */
  public static webhook(options: WebhookNotificationOptions): NotificationDestination {
    return new NotificationDestination(
      { kind: 'webhook', url: options.url, secretArn: options.secret?.secretArn, ...filters(options) },
      grantee => options.secret.grantRead(grantee),
      optionKeyIssues(options, WEBHOOK_KEYS),
    );
  }

  /**
   * A readable message (status, application and environment, commit, reason, link) to a Slack incoming webhook.
   *
   * @example
   * const slack = NotificationDestination.slack({
   *   webhookUrl: secretsmanager.Secret.fromSecretNameV2(stack, 'SlackUrl', 'shop/slack-webhook-url'),
   *   events: [NotificationEventType.DEPLOYMENT_FAILED, NotificationEventType.DEPLOYMENT_ROLLED_BACK],
   * });
   */
  public static slack(options: SlackNotificationOptions): NotificationDestination {
    return new NotificationDestination(
      { kind: 'slack', urlSecretArn: options.webhookUrl?.secretArn, ...filters(options) },
      grantee => options.webhookUrl.grantRead(grantee),
      optionKeyIssues(options, SLACK_KEYS),
    );
  }

  /**
   * Publish each notification's JSON to the topic, with the event as the `event` message attribute.
   *
   * @example
   * const topic = new sns.Topic(stack, 'Deployments');
   * const production = NotificationDestination.snsTopic(topic, { environments: ['production'] });
   */
  public static snsTopic(topic: sns.ITopic, options: NotificationFilterOptions = {}): NotificationDestination {
    return new NotificationDestination(
      { kind: 'sns', topicArn: topic.topicArn, ...filters(options) },
      grantee => topic.grantPublish(grantee),
      optionKeyIssues(options, FILTER_OPTION_KEYS),
    );
  }

  private constructor(
    private readonly config: NotificationDestinationConfig,
    private readonly grantTo: (grantee: iam.IGrantable) => iam.Grant,
    private readonly unknownKeys: ValidationIssue[],
  ) {}

  /** @internal the configuration the notifier reads (secrets by ARN); validated with the application at synth */
  public _toConfig(): NotificationDestinationConfig {
    return { ...this.config };
  }

  /** @internal let the notifier read this destination's secret or publish to its topic */
  public _grant(grantee: iam.IGrantable): iam.Grant {
    return this.grantTo(grantee);
  }

  /** @internal unknown option keys, paths relative to the destination */
  public _unknownKeys(): ValidationIssue[] {
    return [...this.unknownKeys];
  }
}

function filters(options: NotificationFilterOptions): Pick<NotificationDestinationConfig, 'events' | 'environments'> {
  return {
    ...options.events !== undefined && { events: [...options.events] as NotificationEvent[] },
    ...options.environments !== undefined && { environments: [...options.environments] },
  };
}

function optionKeyIssues(options: object, known: readonly string[]): ValidationIssue[] {
  return isPlainObject(options) ? unknownKeyIssues(options, known, '') : [];
}
