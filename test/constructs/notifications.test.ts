import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { newStack, shop, writtenConfiguration } from './stack-fixtures';
import { NotificationDestination, NotificationEventType, TrellisPipeline } from '../../src';
import { METRIC_NAMES } from '../../src/runtime/core/metrics';

/**
 * Notifications in AWS: destinations in the written configuration (secrets by ARN, never their
 * values), one notifier function on the table's stream (switched on for it), reading only what
 * it needs, and the NotificationFailures metric.
 */

const HOOK_KEY_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:shop/hook-key-AbCdEf';
const SLACK_URL_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:shop/slack-url-GhIjKl';
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:111122223333:deployments';
const NOTIFIER = 'Trellis: signed notifications of deployments to webhooks, Slack and SNS';

function installation(destinations?: (stack: ReturnType<typeof newStack>) => NotificationDestination[]) {
  const stack = newStack();
  const pipeline = new TrellisPipeline(stack, 'Trellis', {
    installationName: 'acme',
    applications: [{ ...shop, ...destinations && { notifications: destinations(stack) } }],
  });
  return { stack, pipeline, template: Template.fromStack(stack) };
}

const withDestinations = (stack: ReturnType<typeof newStack>) => [
  NotificationDestination.webhook({ url: 'https://hooks.example.com/trellis', secret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'HookKey', HOOK_KEY_ARN) }),
  NotificationDestination.slack({
    webhookUrl: secretsmanager.Secret.fromSecretCompleteArn(stack, 'SlackUrl', SLACK_URL_ARN),
    events: [NotificationEventType.DEPLOYMENT_FAILED, NotificationEventType.DEPLOYMENT_ROLLED_BACK],
  }),
  NotificationDestination.snsTopic(sns.Topic.fromTopicArn(stack, 'Topic', TOPIC_ARN), { environments: ['production'] }),
];

describe('notifications in AWS', () => {
  const { template } = installation(withDestinations);

  test('the configuration names each destination, its secret by ARN, and its filters', () => {
    expect(writtenConfiguration(template)[0].notifications).toEqual([
      { kind: 'webhook', url: 'https://hooks.example.com/trellis', secretArn: HOOK_KEY_ARN },
      { kind: 'slack', urlSecretArn: SLACK_URL_ARN, events: ['deployment.failed', 'deployment.rolled_back'] },
      { kind: 'sns', topicArn: TOPIC_ARN, environments: ['production'] },
    ]);
  });

  test('one notifier function follows the table\'s stream (deployment items only) and reads the two secrets and publishes to the topic', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', { StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' } });
    const notifiers = template.findResources('AWS::Lambda::Function', { Properties: { Description: NOTIFIER } });
    expect(Object.keys(notifiers)).toHaveLength(1);
    const [id] = Object.keys(notifiers);
    expect(JSON.stringify(template.findResources('AWS::Lambda::EventSourceMapping', { Properties: { FunctionName: { Ref: id } } }))).toContain('DEP#');
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    const roleId = (Object.values(notifiers)[0] as any).Properties.Role['Fn::GetAtt'][0];
    const notifierPolicies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy: any) => policy.Properties.Roles.some((role: any) => role.Ref === roleId));
    const statements = notifierPolicies.flatMap((policy: any) => policy.Properties.PolicyDocument.Statement);
    const text = JSON.stringify(statements);
    expect(text).toContain(HOOK_KEY_ARN);
    expect(text).toContain(SLACK_URL_ARN);
    expect(statements).toEqual(expect.arrayContaining([expect.objectContaining({ Action: 'sns:Publish', Resource: TOPIC_ARN })]));
    // The table: read configuration and deployments, count events, record failures; nothing else.
    const leading = statements.flatMap((statement: any) => statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] ?? []);
    expect(leading.sort()).toEqual(['CONFIG', 'DEP#*', 'NOTIFYFAIL#*', 'NOTIFYSEQ#*'].sort());
    expect(text).not.toContain('dynamodb:DeleteItem');
    expect(policies).toContain('dynamodb:GetRecords');
  });

  test('without notifications there is no notifier and no stream', () => {
    const plain = installation().template;
    expect(Object.keys(plain.findResources('AWS::Lambda::Function', { Properties: { Description: NOTIFIER } }))).toHaveLength(0);
    expect(JSON.stringify(plain.findResources('AWS::DynamoDB::Table'))).not.toContain('StreamSpecification');
  });

  test('an application added later with notifications gets the same notifier, and the stream', () => {
    const stack = newStack();
    const pipeline = new TrellisPipeline(stack, 'Trellis', { installationName: 'acme', applications: [shop] });
    const topic = sns.Topic.fromTopicArn(stack, 'Topic', TOPIC_ARN);
    pipeline.addApplication({ name: 'billing', repository: 'acme/billing', notifications: [NotificationDestination.snsTopic(topic)] });
    pipeline.addApplication({ name: 'search', repository: 'acme/search', notifications: [NotificationDestination.snsTopic(topic, { events: [NotificationEventType.DEPLOYMENT_FAILED] })] });
    const added = Template.fromStack(stack);
    expect(Object.keys(added.findResources('AWS::Lambda::Function', { Properties: { Description: NOTIFIER } }))).toHaveLength(1);
    added.hasResourceProperties('AWS::DynamoDB::Table', { StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' } });
  });

  test('bad destinations fail at synth, named: an http:// webhook, an unknown environment, an unknown option', () => {
    const stack = newStack();
    const key = secretsmanager.Secret.fromSecretCompleteArn(stack, 'HookKey', HOOK_KEY_ARN);
    const topic = sns.Topic.fromTopicArn(stack, 'Topic', TOPIC_ARN);
    let attempt = 0;
    const build = () => new TrellisPipeline(stack, `Trellis${attempt++}`, {
      applications: [{
        ...shop,
        notifications: [
          NotificationDestination.webhook({ url: 'http://hooks.example.com/trellis', secret: key }),
          NotificationDestination.snsTopic(topic, { environments: ['qa'], evnets: [] } as any),
        ],
      }],
    });
    expect(build).toThrow(/applications\[0\]\.notifications\[0\]\.url: must be an https:\/\/ URL/);
    expect(build).toThrow(/applications\[0\]\.notifications\[1\]\.environments\[0\]: 'qa' is not an environment of this application/);
    expect(build).toThrow(/applications\[0\]\.notifications\[1\]\.evnets: is not a known field; did you mean `events`\?/);
  });

  test('metricNotificationFailures: per installation or application', () => {
    const { pipeline } = installation();
    const metric = pipeline.metricNotificationFailures({ application: 'shop' });
    expect(metric.metricName).toBe(METRIC_NAMES.notificationFailures);
    expect(metric.dimensions).toEqual({ Installation: 'acme', Application: 'shop' });
    expect(pipeline.metricNotificationFailures().dimensions).toEqual({ Installation: 'acme' });
    expect(() => pipeline.metricNotificationFailures({ application: 'Not An App' })).toThrow(/application/);
  });
});
