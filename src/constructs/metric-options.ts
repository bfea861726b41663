import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/**
 * Which deployments a deployment metric counts: the whole installation, one application, or one
 * environment of an application.
 *
 * @example
 * const trellis = new TrellisPipeline(stack, 'Trellis');
 * const productionFailures = trellis.metricDeploymentsFailed({
 *   application: 'shop',
 *   environment: 'production',
 *   period: Duration.hours(1),
 * });
 */
export interface DeploymentMetricOptions extends cloudwatch.MetricOptions {
  /**
   * Only the deployments of this application.
   * @default - every application of the installation
   */
  readonly application?: string;

  /**
   * Only the deployments of this environment of `application` (which must be given too).
   * @default - every environment of the application
   */
  readonly environment?: string;
}

/**
 * Which failed notification deliveries a metric counts: the installation's, or one application's.
 *
 * @example
 * const trellis = new TrellisPipeline(stack, 'Trellis');
 * const shopNotifications = trellis.metricNotificationFailures({ application: 'shop' });
 */
export interface NotificationFailureMetricOptions extends cloudwatch.MetricOptions {
  /**
   * Only the notifications of this application.
   * @default - every application of the installation
   */
  readonly application?: string;
}

/**
 * Which webhook rejections a metric counts: all of them, or those of one reason.
 *
 * @example
 * const trellis = new TrellisPipeline(stack, 'Trellis');
 * const wrongSecret = trellis.metricWebhookRejections({ reason: 'SignatureMismatch' });
 */
export interface WebhookRejectionMetricOptions extends cloudwatch.MetricOptions {
  /**
   * Only rejections of this reason: `PayloadTooLarge`, `SignatureMissing`, `SignatureMismatch`,
   * `UnsupportedContentType`, `MalformedHeaders`, `MalformedPayload`, `PushTooOld` or
   * `UnknownRepository`.
   * @default - every reason
   */
  readonly reason?: string;
}
