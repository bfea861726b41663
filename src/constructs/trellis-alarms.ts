import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { constructPropsError } from './private/prop-issues';
import { deadLetteredLaunchesMetric, deploymentMetric } from './private/trellis-metrics';
import type { TrellisPipeline } from './trellis-pipeline';
import { ValidationIssue } from '../runtime/core/errors';

/**
 * The alarms Trellis offers. Nothing is created unless asked for (`TrellisPipeline.addAlarms()`):
 * each CloudWatch alarm is billed per month.
 *
 * @example
 * const trellis = new TrellisPipeline(stack, 'Trellis');
 * const topic = new sns.Topic(stack, 'DeliveryAlarms');
 * trellis.addAlarms({ topic, failedDeploymentsThreshold: 2, failedDeploymentsPeriod: Duration.minutes(15) });
 */
export interface TrellisAlarmOptions {
  /**
   * Notified when an alarm goes off and when it clears again.
   * @default - no notification: the alarms are seen in the CloudWatch console, or wired by you
   */
  readonly topic?: sns.ITopic;

  /**
   * The failed-deployments alarm goes off when at least this many deployments of the installation
   * fail within `failedDeploymentsPeriod`.
   * @default 1
   */
  readonly failedDeploymentsThreshold?: number;

  /**
   * The window failed deployments are counted in (a whole number of minutes).
   * @default Duration.minutes(5)
   */
  readonly failedDeploymentsPeriod?: Duration;
}

/** Properties of TrellisAlarms. */
export interface TrellisAlarmsProps extends TrellisAlarmOptions {
  /** The installation the alarms watch. */
  readonly pipeline: TrellisPipeline;
}

/**
 * Alarms on a Trellis installation: a launch message that was dead-lettered (the launcher gave up
 * on it after its retries, and its deployment is stranded until the queue is redriven) and failed
 * deployments. Usually made by `TrellisPipeline.addAlarms()`.
 *
 * @example
 * const pipeline = new TrellisPipeline(stack, 'Trellis');
 * const topic = sns.Topic.fromTopicArn(stack, 'Ops', 'arn:aws:sns:eu-west-1:111122223333:ops');
 * new TrellisAlarms(stack, 'TrellisAlarms', { pipeline, topic });
 */
export class TrellisAlarms extends Construct {
  /** In alarm while a launch message waits in the dead-letter queue. */
  public readonly deadLetteredLaunches: cloudwatch.Alarm;
  /** In alarm when `failedDeploymentsThreshold` deployments failed within `failedDeploymentsPeriod`. */
  public readonly deploymentsFailed: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: TrellisAlarmsProps) {
    super(scope, id);
    const threshold = props.failedDeploymentsThreshold ?? 1;
    const period = props.failedDeploymentsPeriod ?? Duration.minutes(5);
    const issues: ValidationIssue[] = [];
    if (!Token.isUnresolved(threshold) && !(Number.isInteger(threshold) && threshold >= 1)) {
      issues.push({ path: 'failedDeploymentsThreshold', message: `must be a whole number of deployments, 1 or more; got ${threshold}` });
    }
    if (!period.isUnresolved()) {
      const seconds = period.toSeconds();
      if (seconds < 60 || seconds % 60 !== 0) {
        issues.push({ path: 'failedDeploymentsPeriod', message: `must be a whole number of minutes (CloudWatch's period for these metrics); got ${period.toHumanString()}` });
      }
    }
    if (issues.length > 0) throw constructPropsError('TrellisAlarms', this, issues);
    const installation = props.pipeline.installationName;

    this.deadLetteredLaunches = new cloudwatch.Alarm(this, 'DeadLetteredLaunches', {
      alarmDescription: `Trellis ${installation}: a launch message was dead-lettered, so its deployment is stranded. `
        + 'Read the launcher\'s log for the error; once fixed, redrive the dead-letter queue to its source queue (the launch finishes).',
      metric: deadLetteredLaunchesMetric(props.pipeline.webhook.deadLetterQueue, { period: Duration.minutes(5) }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.deploymentsFailed = new cloudwatch.Alarm(this, 'DeploymentsFailed', {
      alarmDescription: `Trellis ${installation}: deployments failed. The dashboard shows which and why (the failed phase and its log).`,
      metric: deploymentMetric('failed', installation, { period }),
      threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.topic) {
      const action = new actions.SnsAction(props.topic);
      for (const alarm of [this.deadLetteredLaunches, this.deploymentsFailed]) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
  }
}
