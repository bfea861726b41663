import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sns from 'aws-cdk-lib/aws-sns';
import { newStack, shop } from './stack-fixtures';
import { TrellisAlarms, TrellisPipeline } from '../../src';
import { deploymentFinishedRecord } from '../../src/runtime/core/deployment-metrics';
import { WEBHOOK_REJECTION_REASONS } from '../../src/runtime/core/metrics';
import { Deployment } from '../../src/runtime/core/types';
import { webhookRejectedRecord } from '../../src/runtime/webhook/webhook-handler';

/**
 * The metrics and alarms of a TrellisPipeline: metrics read exactly what the runtime emits
 * (namespace, names, dimension sets), and no alarm exists unless asked for (each is billed).
 */

const INSTALLATION = 'acme';

function pipelineIn(stack: Stack): TrellisPipeline {
  return new TrellisPipeline(stack, 'Trellis', { applications: [shop], installationName: INSTALLATION });
}

/** The metric as CloudFormation would see it: namespace, name, dimensions (resolved), statistic, period. */
function rendered(stack: Stack, metric: cloudwatch.IMetric) {
  const config = metric.toMetricConfig().metricStat!;
  return {
    namespace: config.namespace,
    name: config.metricName,
    dimensions: Object.fromEntries((config.dimensions ?? []).map(d => [d.name, stack.resolve(d.value)])),
    statistic: config.statistic,
    period: config.period.toSeconds(),
  };
}

describe('metrics', () => {
  const stack = newStack();
  const pipeline = pipelineIn(stack);

  test.each([
    ['metricDeploymentsSucceeded', {}, 'DeploymentsSucceeded', 'Sum', { Installation: INSTALLATION }],
    ['metricDeploymentsFailed', { application: 'shop' }, 'DeploymentsFailed', 'Sum', { Installation: INSTALLATION, Application: 'shop' }],
    ['metricDeploymentsFailed', { application: 'shop', environment: 'production' }, 'DeploymentsFailed', 'Sum',
      { Installation: INSTALLATION, Application: 'shop', Environment: 'production' }],
    ['metricDeploymentDuration', { application: 'shop', environment: 'dev' }, 'DeploymentDuration', 'Average',
      { Installation: INSTALLATION, Application: 'shop', Environment: 'dev' }],
    ['metricDeploymentDuration', { statistic: 'p90', period: Duration.hours(1) }, 'DeploymentDuration', 'p90', { Installation: INSTALLATION }],
    ['metricWebhookRejections', {}, 'WebhookRejections', 'Sum', { Installation: INSTALLATION }],
    ['metricWebhookRejections', { reason: 'SignatureMismatch' }, 'WebhookRejections', 'Sum', { Installation: INSTALLATION, Reason: 'SignatureMismatch' }],
  ] as const)('%s(%j) reads Trellis/%s (%s) by %j', (method, options, name, statistic, dimensions) => {
    const metric = (pipeline as any)[method](options) as cloudwatch.Metric;
    expect(metric).toBeInstanceOf(cloudwatch.Metric);
    expect(rendered(stack, metric)).toEqual({
      namespace: 'Trellis', name, dimensions, statistic, period: 'period' in options ? 3600 : 300,
    });
  });

  test('metricDeadLetteredLaunches reads the free SQS metric of the launch dead-letter queue (maximum)', () => {
    expect(rendered(stack, pipeline.metricDeadLetteredLaunches())).toEqual({
      namespace: 'AWS/SQS',
      name: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: stack.resolve(pipeline.webhook.deadLetterQueue.queueName) },
      statistic: 'Maximum',
      period: 300,
    });
    expect(pipeline.webhook.metricDeadLetteredLaunches({ period: Duration.minutes(1) }).period.toSeconds()).toBe(60);
  });

  test('the installation name is the Installation dimension, so two installations in one account stay apart', () => {
    const other = new TrellisPipeline(newStack(), 'Trellis', { applications: [shop], installationName: 'acme-two' });
    expect(rendered(stack, other.metricDeploymentsFailed()).dimensions).toEqual({ Installation: 'acme-two' });
  });

  test.each([
    ['metricDeploymentsFailed', { environment: 'production' }, /environment: needs application too/],
    ['metricDeploymentsSucceeded', { application: 'Shop!' }, /application: 'Shop!' must be 1-40 lowercase/],
    ['metricDeploymentDuration', { application: 'shop', environment: 'Prod' }, /environment: 'Prod' must be/],
    ['metricWebhookRejections', { reason: 'BadSignature' }, /reason: 'BadSignature' is not a reason the webhook counts; use one of PayloadTooLarge, /],
    ['metricDeploymentsFailed', { dimensionsMap: { Stage: 'x' } }, /dimensionsMap: is set by Trellis/],
    ['metricDeadLetteredLaunches', { dimensionsMap: { QueueName: 'x' } }, /dimensionsMap: is set by Trellis/],
  ] as const)('%s(%j) is refused, naming the option', (method, options, message) => {
    expect(() => (pipeline as any)[method](options)).toThrow(message);
  });

  /**
   * Agreement with the runtime: every metric the constructs offer is one the runtime emits (same
   * namespace, name and dimension set), and every dimension set the runtime emits can be read.
   */
  test('every construct metric is a metric the runtime emits, and the other way round', () => {
    const at = '2026-03-01T12:00:00.000Z';
    const deployment = (status: Deployment['status']): Deployment => ({
      id: 'd',
      application: 'shop',
      environment: 'dev',
      action: 'deploy',
      commit: 'c',
      trigger: { kind: 'push' },
      status,
      createdAt: at,
      updatedAt: at,
      startedAt: at,
      finishedAt: at,
    });
    const records = [
      deploymentFinishedRecord(deployment('succeeded'), INSTALLATION),
      deploymentFinishedRecord(deployment('failed'), INSTALLATION),
      ...Object.values(WEBHOOK_REJECTION_REASONS).map(reason => webhookRejectedRecord(reason, INSTALLATION, new Date(at))),
    ];
    const key = (namespace: string, name: string, dimensions: Record<string, string>) =>
      `${namespace}/${name} ${Object.entries(dimensions).sort().map(([k, v]) => `${k}=${v}`).join(',')}`;
    const emitted = new Set<string>();
    for (const record of records) {
      const block = (record._aws as any).CloudWatchMetrics[0];
      for (const metric of block.Metrics) {
        for (const set of block.Dimensions as string[][]) {
          emitted.add(key(block.Namespace, metric.Name, Object.fromEntries(set.map(d => [d, String(record[d])]))));
        }
      }
    }
    const offered = new Set<string>();
    const scopes = [{}, { application: 'shop' }, { application: 'shop', environment: 'dev' }];
    for (const method of ['metricDeploymentsSucceeded', 'metricDeploymentsFailed', 'metricDeploymentDuration']) {
      for (const scope of scopes) {
        const r = rendered(stack, (pipeline as any)[method](scope));
        offered.add(key(r.namespace, r.name, r.dimensions));
      }
    }
    for (const reason of [undefined, ...Object.values(WEBHOOK_REJECTION_REASONS)]) {
      const r = rendered(stack, pipeline.metricWebhookRejections({ reason }));
      offered.add(key(r.namespace, r.name, r.dimensions));
    }
    expect([...offered].sort()).toEqual([...emitted].sort());
    expect(offered.size).toBe(3 * 3 + 1 + Object.values(WEBHOOK_REJECTION_REASONS).length);
  });

  test('the metrics go on a CloudWatch dashboard of the user', () => {
    const dashboardStack = newStack();
    const installation = pipelineIn(dashboardStack);
    new cloudwatch.Dashboard(dashboardStack, 'Ops', {
      widgets: [[new cloudwatch.GraphWidget({
        left: [installation.metricDeploymentsSucceeded(), installation.metricDeploymentsFailed()],
        right: [installation.metricDeploymentDuration({ statistic: 'p90' })],
      })]],
    });
    const body = JSON.stringify(Template.fromStack(dashboardStack).findResources('AWS::CloudWatch::Dashboard'));
    for (const name of ['DeploymentsSucceeded', 'DeploymentsFailed', 'DeploymentDuration']) {
      expect(body).toContain(`\\"Trellis\\",\\"${name}\\",\\"Installation\\",\\"${INSTALLATION}\\"`);
    }
  });
});

test('every function that can end a deployment or refuse a webhook knows the installation (the Installation dimension)', () => {
  const stack = newStack();
  pipelineIn(stack);
  const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
  const described = (text: string) => functions.filter(fn => String(fn.Properties.Description ?? '').includes(text));
  for (const text of ['verifies GitHub webhooks', 'starts build tasks', 'records finished builds', 'control API']) {
    const [fn, ...rest] = described(text);
    expect(rest).toEqual([]);
    expect(fn?.Properties.Environment.Variables).toMatchObject({ TRELLIS_INSTALLATION: INSTALLATION });
  }
});

describe('alarms', () => {
  test('a pipeline has no alarm unless asked for', () => {
    const stack = newStack();
    pipelineIn(stack);
    Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });

  test('addAlarms({ topic }): dead-lettered launches (> 0) and failed deployments (>= 1 in 5 minutes), notifying the topic', () => {
    const stack = newStack();
    const pipeline = pipelineIn(stack);
    const topic = new sns.Topic(stack, 'Ops');
    const alarms = pipeline.addAlarms({ topic });
    expect(alarms).toBeInstanceOf(TrellisAlarms);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2);
    const topicRef = [{ Ref: stack.getLogicalId(topic.node.defaultChild as sns.CfnTopic) }];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: stack.resolve(pipeline.webhook.deadLetterQueue.queueName) }],
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: topicRef,
      OKActions: topicRef,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Trellis',
      MetricName: 'DeploymentsFailed',
      Dimensions: [{ Name: 'Installation', Value: INSTALLATION }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: topicRef,
      OKActions: topicRef,
    });
  });

  test('threshold and period are the options; without a topic the alarms have no actions', () => {
    const stack = newStack();
    const pipeline = pipelineIn(stack);
    const alarms = pipeline.addAlarms({ failedDeploymentsThreshold: 3, failedDeploymentsPeriod: Duration.hours(1) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'DeploymentsFailed', Threshold: 3, Period: 3600 });
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toBeUndefined();
      expect(alarm.Properties.OKActions).toBeUndefined();
    }
    expect(alarms.deploymentsFailed).toBeInstanceOf(cloudwatch.Alarm);
    expect(alarms.deadLetteredLaunches).toBeInstanceOf(cloudwatch.Alarm);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmDescription: Match.stringLikeRegexp('redrive the dead-letter queue') });
  });

  test.each([
    [{ failedDeploymentsThreshold: 0 }, /failedDeploymentsThreshold: must be a whole number of deployments, 1 or more; got 0/],
    [{ failedDeploymentsThreshold: 1.5 }, /failedDeploymentsThreshold: .* got 1.5/],
    [{ failedDeploymentsPeriod: Duration.seconds(30) }, /failedDeploymentsPeriod: must be a whole number of minutes/],
    [{ failedDeploymentsPeriod: Duration.seconds(90) }, /failedDeploymentsPeriod: must be a whole number of minutes/],
  ])('addAlarms(%j) is refused, naming the option', (options, message) => {
    const pipeline = pipelineIn(newStack());
    expect(() => pipeline.addAlarms(options)).toThrow(message);
  });

  test('addAlarms() twice is refused with a clear message', () => {
    const pipeline = pipelineIn(newStack());
    pipeline.addAlarms();
    expect(() => pipeline.addAlarms()).toThrow(/addAlarms\(\) was already called/);
  });
});
