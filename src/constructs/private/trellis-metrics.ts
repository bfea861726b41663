import { Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { optionsError } from './prop-issues';
import { ValidationIssue } from '../../runtime/core/errors';
import { METRIC_DIMENSIONS, METRIC_NAMES, METRIC_NAMESPACE, WEBHOOK_REJECTION_REASONS } from '../../runtime/core/metrics';
import { applicationName, environmentName } from '../../runtime/core/names';
import { DeploymentMetricOptions, NotificationFailureMetricOptions, WebhookRejectionMetricOptions } from '../metric-options';

/**
 * The one place the constructs read Trellis' metrics: the namespace, metric names and dimension
 * names come from runtime/core/metrics.ts, where the runtime that emits them finds them too.
 */

/** The deployment metrics a construct offers, by the method that reads each. */
export const DEPLOYMENT_METRICS = {
  succeeded: { name: METRIC_NAMES.deploymentsSucceeded, statistic: cloudwatch.Stats.SUM },
  failed: { name: METRIC_NAMES.deploymentsFailed, statistic: cloudwatch.Stats.SUM },
  duration: { name: METRIC_NAMES.deploymentDuration, statistic: cloudwatch.Stats.AVERAGE },
} as const;

export type DeploymentMetricKind = keyof typeof DEPLOYMENT_METRICS;

/**
 * One deployment metric of an installation: per installation, application, or environment of an
 * application (the dimension sets the runtime emits; any other combination has no data).
 */
export function deploymentMetric(kind: DeploymentMetricKind, installationName: string, options: DeploymentMetricOptions = {}): cloudwatch.Metric {
  const { application, environment, ...metricOptions } = options;
  const issues = dimensionIssues(metricOptions);
  if (application !== undefined && !Token.isUnresolved(application)) {
    const problem = applicationName(application);
    if (problem) issues.push({ path: 'application', message: problem });
  }
  if (environment !== undefined) {
    if (application === undefined) {
      issues.push({ path: 'environment', message: 'needs application too: environment names are per application' });
    } else if (!Token.isUnresolved(environment)) {
      const problem = environmentName(environment);
      if (problem) issues.push({ path: 'environment', message: problem });
    }
  }
  fail(`metric ${DEPLOYMENT_METRICS[kind].name}`, issues);
  return new cloudwatch.Metric({
    statistic: DEPLOYMENT_METRICS[kind].statistic,
    ...metricOptions,
    namespace: METRIC_NAMESPACE,
    metricName: DEPLOYMENT_METRICS[kind].name,
    dimensionsMap: {
      [METRIC_DIMENSIONS.installation]: installationName,
      ...application !== undefined && { [METRIC_DIMENSIONS.application]: application },
      ...environment !== undefined && { [METRIC_DIMENSIONS.environment]: environment },
    },
  });
}

/** Webhook requests refused, in total or by one reason. */
export function webhookRejectionsMetric(installationName: string, options: WebhookRejectionMetricOptions = {}): cloudwatch.Metric {
  const { reason, ...metricOptions } = options;
  const issues = dimensionIssues(metricOptions);
  const reasons: readonly string[] = Object.values(WEBHOOK_REJECTION_REASONS);
  if (reason !== undefined && !Token.isUnresolved(reason) && !reasons.includes(reason)) {
    issues.push({ path: 'reason', message: `'${reason}' is not a reason the webhook counts; use one of ${reasons.join(', ')}` });
  }
  fail(`metric ${METRIC_NAMES.webhookRejections}`, issues);
  return new cloudwatch.Metric({
    statistic: cloudwatch.Stats.SUM,
    ...metricOptions,
    namespace: METRIC_NAMESPACE,
    metricName: METRIC_NAMES.webhookRejections,
    dimensionsMap: {
      [METRIC_DIMENSIONS.installation]: installationName,
      ...reason !== undefined && { [METRIC_DIMENSIONS.reason]: reason },
    },
  });
}

/** Reports to GitHub that failed on every attempt, per installation (the only dimension set the reporter emits). */
export function gitHubReportFailuresMetric(installationName: string, options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
  fail(`metric ${METRIC_NAMES.gitHubReportFailures}`, dimensionIssues(options));
  return new cloudwatch.Metric({
    statistic: cloudwatch.Stats.SUM,
    ...options,
    namespace: METRIC_NAMESPACE,
    metricName: METRIC_NAMES.gitHubReportFailures,
    dimensionsMap: { [METRIC_DIMENSIONS.installation]: installationName },
  });
}

/** Notifications not delivered after every attempt, per installation or per application (the dimension sets the notifier emits). */
export function notificationFailuresMetric(installationName: string, options: NotificationFailureMetricOptions = {}): cloudwatch.Metric {
  const { application, ...metricOptions } = options;
  const issues = dimensionIssues(metricOptions);
  if (application !== undefined && !Token.isUnresolved(application)) {
    const problem = applicationName(application);
    if (problem) issues.push({ path: 'application', message: problem });
  }
  fail(`metric ${METRIC_NAMES.notificationFailures}`, issues);
  return new cloudwatch.Metric({
    statistic: cloudwatch.Stats.SUM,
    ...metricOptions,
    namespace: METRIC_NAMESPACE,
    metricName: METRIC_NAMES.notificationFailures,
    dimensionsMap: {
      [METRIC_DIMENSIONS.installation]: installationName,
      ...application !== undefined && { [METRIC_DIMENSIONS.application]: application },
    },
  });
}

/**
 * Launch messages the launcher gave up on (moved to the dead-letter queue after its retries): the
 * queue's own, free SQS metric. Each is a deployment left queued until someone acts.
 */
export function deadLetteredLaunchesMetric(deadLetterQueue: sqs.IQueue, options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
  fail('metric ApproximateNumberOfMessagesVisible', dimensionIssues(options));
  return deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, ...options });
}

/** Trellis chooses the dimensions: others name a metric that has no data. */
function dimensionIssues(options: cloudwatch.MetricOptions): ValidationIssue[] {
  return options.dimensionsMap === undefined ? [] : [{
    path: 'dimensionsMap',
    message: 'is set by Trellis (Installation, Application, Environment, Reason); use application, environment or reason to narrow the metric',
  }];
}

function fail(what: string, issues: ValidationIssue[]): void {
  if (issues.length > 0) throw optionsError(what, issues);
}
