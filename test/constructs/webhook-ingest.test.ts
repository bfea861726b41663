import { Match, Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { newStack, shop } from './stack-fixtures';
import { TrellisPipeline } from '../../src';
import { synthesizedOnce } from '../support/synth-cache';

/** The installation with `props`; without, the default one, synthesized once for the tests that read it. */
function synth(props?: ConstructorParameters<typeof TrellisPipeline>[2]) {
  return props ? synthesize(props) : synthesizedOnce('shop', () => synthesize({}));
}

function synthesize(props: ConstructorParameters<typeof TrellisPipeline>[2]) {
  const stack = newStack();
  const pipeline = new TrellisPipeline(stack, 'Trellis', { applications: [shop], ...props });
  return { stack, pipeline, template: Template.fromStack(stack) };
}

/** Every IAM statement attached to the role of the function whose logical id starts with `prefix`. */
function statementsOfFunction(template: Template, prefix: string): any[] {
  const functions = template.findResources('AWS::Lambda::Function');
  const [fnId] = Object.keys(functions).filter(id => id.startsWith(prefix));
  const roleId = functions[fnId].Properties.Role['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy: any) => policy.Properties.Roles.some((role: any) => role.Ref === roleId))
    .flatMap((policy: any) => policy.Properties.PolicyDocument.Statement);
}

describe('WebhookIngest', () => {
  test('the webhook function can read only the webhook secret, and gets its ARN, not its value', () => {
    const { template } = synth();
    const secrets = template.findResources('AWS::SecretsManager::Secret');
    const [secretId] = Object.keys(secrets);
    expect(Object.keys(secrets)).toHaveLength(1);
    expect(secrets[secretId].Properties.Name).toMatch(/^trellis\/[a-z0-9-]+\/github-webhook-secret$/);
    expect(secrets[secretId].Properties.SecretString).toBeUndefined();

    const secretStatements = statementsOfFunction(template, 'TrellisWebhookHandler')
      .filter(statement => [].concat(statement.Action).some((action: string) => action.startsWith('secretsmanager:')));
    expect(secretStatements).toHaveLength(1);
    expect(secretStatements[0].Resource).toEqual({ Ref: secretId });
    expect([].concat(secretStatements[0].Action).sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);

    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('verifies GitHub webhooks'),
      Timeout: 10,
      Environment: { Variables: { WEBHOOK_SECRET_ARN: { Ref: secretId }, TABLE_NAME: Match.anyValue(), QUEUE_URL: Match.anyValue() } },
    });
  });

  test('no other function may read the webhook secret', () => {
    const { template } = synth();
    const [secretId] = Object.keys(template.findResources('AWS::SecretsManager::Secret'));
    const functions = Object.keys(template.findResources('AWS::Lambda::Function')).filter(id => !id.startsWith('TrellisWebhookHandler'));
    for (const fn of functions) {
      const readsSecret = statementsOfFunction(template, fn).some(statement => {
        if (!JSON.stringify(statement.Action).includes('secretsmanager:')) return false;
        const resources = JSON.stringify(statement.Resource);
        // The secret itself, or a wildcard over the whole installation (trellis/<inst>/*) that covers it.
        return resources.includes(secretId) || /trellis\/[^/"]+\/\*(?!\/)/.test(resources) || resources.includes('github-webhook-secret');
      });
      expect({ fn, readsSecret }).toEqual({ fn, readsSecret: false });
    }
  });

  test('a user-supplied secret is used instead of a generated one', () => {
    const stack = newStack();
    const secret = secretsmanager.Secret.fromSecretNameV2(stack, 'Existing', 'team/github-webhook');
    new TrellisPipeline(stack, 'Trellis', { applications: [shop], webhook: { secret } });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(JSON.stringify(template.toJSON())).toContain('secret:team/github-webhook');
  });

  test('the launch queue has a dead-letter queue, and both are encrypted and TLS-only', () => {
    const { template } = synth();
    const queues = template.findResources('AWS::SQS::Queue');
    expect(Object.keys(queues)).toHaveLength(2);
    const launch = Object.entries(queues).find(([id]) => id.includes('LaunchQueue'))!;
    const dlq = Object.entries(queues).find(([id]) => id.includes('DeadLetterQueue'))!;
    expect(launch[1].Properties.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [dlq[0], 'Arn'] }, maxReceiveCount: 5 });
    for (const [, queue] of [launch, dlq]) expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy')) as any[];
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toEqual(expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ]));
    }
    const sends = statementsOfFunction(template, 'TrellisWebhookHandler').filter(s => JSON.stringify(s.Action).includes('sqs:'));
    expect(sends.map(s => s.Resource)).toEqual([{ 'Fn::GetAtt': [launch[0], 'Arn'] }]);
  });

  test('the endpoint is a throttled POST /webhook route with access logs, and its URL is an output', () => {
    const { template, pipeline } = synth();
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 25, ThrottlingBurstLimit: 50 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
    });
    // One route on the webhook's API (the live log WebSocket API has its own).
    template.resourcePropertiesCountIs('AWS::ApiGatewayV2::Route', { ApiId: { Ref: Match.stringLikeRegexp('^TrellisWebhookApi') } }, 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /webhook' });
    const outputs = template.findOutputs('*', { Value: Match.objectLike({ 'Fn::Join': Match.anyValue() }) });
    expect(Object.keys(outputs).some(id => id.includes('WebhookUrl'))).toBe(true);
    expect(pipeline.webhook.url).toMatch(/\/webhook$/);
  });

  test('throttling can be set', () => {
    const stack = newStack();
    const { WebhookIngest, StateTable } = jest.requireActual('../../src');
    new WebhookIngest(stack, 'Hook', { table: new StateTable(stack, 'T'), installationName: 'x', throttlingRateLimit: 5, throttlingBurstLimit: 7 });
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 7 },
    });
  });

  test('throttling through TrellisPipeline: webhook options reach the stage', () => {
    synth({ webhook: { throttlingRateLimit: 2.5, throttlingBurstLimit: 10 } }).template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 2.5, ThrottlingBurstLimit: 10 },
    });
  });

  test.each<[string, number, number | undefined, RegExp]>([
    ['a negative rate', -1, undefined, /throttlingRateLimit: -1 must be a number of requests per second above 0/],
    ['a zero rate (every delivery refused)', 0, undefined, /throttlingRateLimit: 0 must be/],
    ['a rate that is not a number', NaN, undefined, /throttlingRateLimit: NaN must be/],
    ['a fractional burst', 5, 2.5, /throttlingBurstLimit: 2\.5 must be a whole number of requests above 0/],
    ['a zero burst', 5, 0, /throttlingBurstLimit: 0 must be/],
  ])('throttling: %s is refused, naming the option', (_, rate, burst, message) => {
    expect(() => synth({ webhook: { throttlingRateLimit: rate, throttlingBurstLimit: burst } })).toThrow(message);
  });

  test('installation name: default is unique and valid, a given one is validated', () => {
    const a = synth().pipeline.installationName;
    expect(a).toMatch(/^[a-z][a-z0-9-]{0,31}$/);
    expect(synth({ installationName: 'acme-prod' }).pipeline.installationName).toBe('acme-prod');
    expect(() => synth({ installationName: 'Acme Prod' })).toThrow(/installationName: 'Acme Prod' must be/);
  });
});
