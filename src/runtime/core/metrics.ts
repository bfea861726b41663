/**
 * Trellis' CloudWatch metrics: the namespace, metric names and dimension names, shared by the
 * runtime that emits them and the constructs that read them (`metricX()` methods, alarms), so
 * the two cannot drift apart. Every metric is an Embedded Metric Format (EMF) log line: CloudWatch
 * extracts the data points from the function's log, so a metric costs nothing in a month without
 * data points (no PutMetricData calls, nothing while idle).
 */

export const METRIC_NAMESPACE = 'Trellis';

export const METRIC_NAMES = {
  /** A deployment ended as succeeded (Count, 1 per deployment). */
  deploymentsSucceeded: 'DeploymentsSucceeded',
  /** A deployment ended as failed: its build, deploy or health check failed, or it could not be started (Count). */
  deploymentsFailed: 'DeploymentsFailed',
  /** How long a succeeded deployment ran, from its start to its end (Seconds). */
  deploymentDuration: 'DeploymentDuration',
  /** The webhook refused a request, by Reason (Count). */
  webhookRejections: 'WebhookRejections',
  /** Log records dropped because they did not come from their deployment's build (Count). */
  forgedLogRecords: 'ForgedLogRecords',
  /** A call reporting a deployment to GitHub (commit status, GitHub Deployment) failed on every attempt (Count). */
  gitHubReportFailures: 'GitHubReportFailures',
  /** An audit trail entry could not be written (Count); the request it records was answered all the same. */
  auditWriteFailures: 'AuditWriteFailures',
  /** A notification was not delivered to a destination after every attempt (Count); the deployment went on all the same. */
  notificationFailures: 'NotificationFailures',
} as const;

export const METRIC_DIMENSIONS = {
  /** The installation's name (`TrellisPipelineProps.installationName`): two installations in one account stay apart. */
  installation: 'Installation',
  application: 'Application',
  environment: 'Environment',
  /** Why the webhook refused a request: one of WEBHOOK_REJECTION_REASONS. */
  reason: 'Reason',
} as const;

const { installation, application, environment, reason } = METRIC_DIMENSIONS;

/**
 * The deployment metrics are emitted per installation, per application and per environment of an
 * application: the dimension sets a metric can be read (and alarmed on) by.
 */
export const DEPLOYMENT_DIMENSION_SETS: readonly (readonly string[])[] = [
  [installation],
  [installation, application],
  [installation, application, environment],
];

/** Webhook rejections in total and by reason. */
export const WEBHOOK_REJECTION_DIMENSION_SETS: readonly (readonly string[])[] = [[installation], [installation, reason]];

/** Failed GitHub reports, per installation (the log line names the deployment and the call). */
export const GITHUB_REPORT_DIMENSION_SETS: readonly (readonly string[])[] = [[installation]];

/** Failed notification deliveries, per installation and per application (the log line names the event and the destination). */
export const NOTIFICATION_FAILURE_DIMENSION_SETS: readonly (readonly string[])[] = [[installation], [installation, application]];

/** Failed audit writes, per installation (the log line names the action and the application). */
export const AUDIT_WRITE_DIMENSION_SETS: readonly (readonly string[])[] = [[installation]];

/**
 * Every Reason the webhook counts a rejection with: a fixed set, never a value from the request,
 * so a stream of hostile requests cannot create new metrics (each would be billed).
 */
export const WEBHOOK_REJECTION_REASONS = {
  /** The body is larger than the webhook accepts (413). */
  payloadTooLarge: 'PayloadTooLarge',
  /** No X-Hub-Signature-256 header (401): the GitHub webhook has no secret, or the caller is not GitHub. */
  signatureMissing: 'SignatureMissing',
  /** X-Hub-Signature-256 is not the HMAC of the body with the secret (401): a wrong secret, or a forgery. */
  signatureMismatch: 'SignatureMismatch',
  /** The content type is not application/json (415). */
  unsupportedContentType: 'UnsupportedContentType',
  /** X-GitHub-Event or X-GitHub-Delivery missing or malformed (400). */
  malformedHeaders: 'MalformedHeaders',
  /** The body is not JSON, or not shaped like GitHub's payload of its event (400). */
  malformedPayload: 'MalformedPayload',
  /** A signed push older than the replay window: a redelivered or replayed old push deploys nothing. */
  pushTooOld: 'PushTooOld',
  /** A signed push of a repository no application uses: a webhook on the wrong repository, or a mistyped `repository`. */
  unknownRepository: 'UnknownRepository',
} as const;

export type WebhookRejectionReason = typeof WEBHOOK_REJECTION_REASONS[keyof typeof WEBHOOK_REJECTION_REASONS];

export type MetricUnit = 'Count' | 'Seconds';

export interface MetricValue {
  readonly name: string;
  readonly unit: MetricUnit;
  readonly value: number;
}

export interface MetricRecordInput {
  /** When the measured event happened (epoch milliseconds). */
  readonly timestamp: number;
  readonly metrics: readonly MetricValue[];
  /** Every dimension named in `dimensionSets`, with its value. */
  readonly dimensions: Readonly<Record<string, string>>;
  /** Each set makes one metric per name (`[[]]`: the metric without dimensions). */
  readonly dimensionSets: readonly (readonly string[])[];
  /** Other fields of the log line (Logs Insights can query them); never override a dimension or a metric. */
  readonly properties?: Readonly<Record<string, unknown>>;
  /** @default METRIC_NAMESPACE */
  readonly namespace?: string;
}

/** CloudWatch's limits: 30 dimensions in a set, dimension values of 1 to 1024 characters. */
const MAX_DIMENSIONS = 30;
const MAX_DIMENSION_VALUE = 1024;

/**
 * The one implementation of the EMF rule: a log line (a JSON object) that CloudWatch Logs also
 * turns into metric data points. The `_aws` block names the namespace, the dimension sets and the
 * metrics; the dimension values and metric values are top-level fields of the same line. A line
 * that breaks the format is dropped by CloudWatch without a word, so the rule is checked here and
 * a mistake throws (a programming error, not a condition of the input).
 */
export function metricRecord(input: MetricRecordInput): Record<string, unknown> {
  for (const set of input.dimensionSets) {
    if (set.length > MAX_DIMENSIONS) throw new Error(`an EMF dimension set has at most ${MAX_DIMENSIONS} dimensions, got ${set.length}`);
    for (const name of set) {
      const value = input.dimensions[name];
      if (typeof value !== 'string' || value.length === 0 || value.length > MAX_DIMENSION_VALUE) {
        throw new Error(`EMF dimension ${name} needs a value of 1 to ${MAX_DIMENSION_VALUE} characters, got ${JSON.stringify(value)}`);
      }
    }
  }
  for (const metric of input.metrics) {
    if (!Number.isFinite(metric.value)) throw new Error(`EMF metric ${metric.name} needs a finite number, got ${metric.value}`);
  }
  return {
    ...input.properties,
    ...input.dimensions,
    ...Object.fromEntries(input.metrics.map(metric => [metric.name, metric.value])),
    _aws: {
      Timestamp: input.timestamp,
      CloudWatchMetrics: [{
        Namespace: input.namespace ?? METRIC_NAMESPACE,
        Dimensions: input.dimensionSets.map(set => [...set]),
        Metrics: input.metrics.map(metric => ({ Name: metric.name, Unit: metric.unit })),
      }],
    },
  };
}
