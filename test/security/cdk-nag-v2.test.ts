import { App, Aspects, CfnResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, NagSuppressions } from 'cdk-nag-v2';
import { INSTALLATIONS, SECURITY_ENV, defaultInstallation } from './support/stacks';
import { BuilderImage } from '../../src';
import { addNagSuppression } from '../../src/constructs/private/nag-metadata';

/**
 * cdk-nag 2 (still widely used) runs as an aspect and reads suppressions from each resource's
 * `cdk_nag` metadata (NagSuppressions), not CDK's Validations acknowledgements (cdk-nag 3).
 * The constructs write both from one acknowledge() call, so a cdk-nag 2 user sees the same:
 * nothing unacknowledged on the default and the fully configured installation, and a finding
 * nobody gave a reason for is still reported.
 */
interface NagMessages { readonly errors: string[]; readonly warnings: string[] }

function nagV2(configure: (stack: Stack) => void): NagMessages {
  const app = new App();
  const stack = new Stack(app, 'Nag', { env: SECURITY_ENV });
  configure(stack);
  Aspects.of(app).add(new AwsSolutionsChecks());
  const messages = app.synth().getStackArtifact(stack.artifactId).messages;
  const of = (level: string) => [...new Set(messages
    .filter(message => message.level === level)
    .map(message => String(message.entry.data))
    .filter(text => text.startsWith('AwsSolutions-'))
    .map(text => text.split(': ')[0]))].sort();
  return { errors: of('error'), warnings: of('warning') };
}

describe('cdk-nag 2 AwsSolutions', () => {
  test.each(INSTALLATIONS)('%s installation: no unsuppressed error or warning', (_name, install) => {
    expect(nagV2(stack => {
      install(stack);
      // The fully configured installation's access log bucket is the user's (the fixture
      // acknowledges it for cdk-nag 3 only); a cdk-nag 2 user suppresses it their way.
      const logBucket = stack.node.tryFindChild('AccessLogs');
      if (logBucket) NagSuppressions.addResourceSuppressions(logBucket, [{ id: 'AwsSolutions-S1', reason: 'the log bucket itself (test fixture)' }]);
    })).toEqual({ errors: [], warnings: [] });
  });

  test('builder image built in the account (BuilderImage.fromCodeBuild): no unsuppressed error or warning', () => {
    const image = BuilderImage.fromCodeBuild();
    expect(nagV2(stack => defaultInstallation(stack, { buildServer: { image } }))).toEqual({ errors: [], warnings: [] });
  });

  test('a finding nobody acknowledged is still reported (rules acknowledged whole are scoped to their construct)', () => {
    const { errors } = nagV2(stack => {
      defaultInstallation(stack);
      new sqs.Queue(stack, 'Unrelated'); // no DLQ, no TLS policy
    });
    expect(errors).toEqual(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']);
  });

  test('IAM suppressions are per finding: a new wildcard on an acknowledged role is still reported', () => {
    const { errors } = nagV2(stack => {
      const pipeline = defaultInstallation(stack);
      pipeline.buildServer.taskRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::other-bucket/*'] }));
    });
    expect(errors).toEqual(['AwsSolutions-IAM5[Resource::arn:aws:s3:::other-bucket/*]']);
  });

  test('the metadata is cdk-nag\'s own format: granular IAM findings in applies_to, whole rules without', () => {
    const app = new App();
    const stack = new Stack(app, 'Nag', { env: SECURITY_ENV });
    defaultInstallation(stack);
    Aspects.of(stack).add(new AwsSolutionsChecks());
    const template = app.synth().getStackArtifact(stack.artifactId).template;
    const suppressions = Object.values<any>(template.Resources).flatMap(resource => resource.Metadata?.cdk_nag?.rules_to_suppress ?? []);
    expect(suppressions.length).toBeGreaterThan(20);
    for (const suppression of suppressions) {
      expect(Object.keys(suppression).filter(key => !['reason', 'id', 'applies_to', 'is_reason_encoded'].includes(key))).toEqual([]);
      expect(suppression.id).toMatch(/^AwsSolutions-[A-Z]+\d+$/);
      expect(suppression.reason.length).toBeGreaterThanOrEqual(10);
    }
    const granular = suppressions.filter(suppression => suppression.applies_to);
    expect(granular.map(suppression => suppression.id)).toEqual(expect.arrayContaining(['AwsSolutions-IAM4', 'AwsSolutions-IAM5']));
    expect(granular.flatMap(suppression => suppression.applies_to)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^Resource::<\w+\.Arn>\/index\/\*$/),
      expect.stringMatching(/^Policy::arn:<AWS::Partition>:iam::aws:policy\/service-role\/AWSLambdaBasicExecutionRole$/),
    ]));
    expect(suppressions.filter(suppression => !suppression.applies_to).map(suppression => suppression.id)).toContain('AwsSolutions-L1');
  });
});

test('without cdk-nag 2 checks the template carries no cdk_nag metadata (cdk-nag 3 reads Validations)', () => {
  const app = new App();
  const stack = new Stack(app, 'Nag', { env: SECURITY_ENV });
  defaultInstallation(stack);
  const template = app.synth().getStackArtifact(stack.artifactId).template;
  expect(Object.entries<any>(template.Resources).filter(([, resource]) => resource.Metadata?.cdk_nag).map(([id]) => id)).toEqual([]);
});

describe('addNagSuppression', () => {
  function resource(): CfnResource {
    return new CfnResource(new Stack(), 'Queue', { type: 'AWS::SQS::Queue' });
  }

  test('keeps a user\'s own NagSuppressions, before and after, and adds each entry once', () => {
    const queue = resource();
    NagSuppressions.addResourceSuppressions(queue, [{ id: 'AwsSolutions-SQS3', reason: 'the user\'s own reason here' }]);
    addNagSuppression(queue, 'SQS4', 'Trellis\'s reason for this one');
    addNagSuppression(queue, 'SQS4', 'Trellis\'s reason for this one');
    NagSuppressions.addResourceSuppressions(queue, [{ id: 'AwsSolutions-IAM5', reason: 'granular reason here', appliesTo: ['Resource::*'] }]);
    expect(queue.getMetadata('cdk_nag')).toEqual({
      rules_to_suppress: [
        { reason: 'the user\'s own reason here', id: 'AwsSolutions-SQS3' },
        { reason: 'Trellis\'s reason for this one', id: 'AwsSolutions-SQS4' },
        { reason: 'granular reason here', id: 'AwsSolutions-IAM5', applies_to: ['Resource::*'] },
      ],
    });
  });

  test('writes exactly what NagSuppressions writes, a reason beyond Latin-1 base64-encoded included', () => {
    for (const [reason, appliesTo] of [
      ['plain ASCII reason, long enough', undefined],
      ['Lambda → its own log group only', ['Resource::*']],
      ['café résumé (Latin-1 only)', ['Action::s3:GetObject*', 'Resource::<Bucket.Arn>/*']],
    ] as Array<[string, string[] | undefined]>) {
      const ours = resource();
      const theirs = resource();
      addNagSuppression(ours, 'IAM5', reason, appliesTo);
      NagSuppressions.addResourceSuppressions(theirs, [{ id: 'AwsSolutions-IAM5', reason, appliesTo }]);
      expect(JSON.stringify(ours.getMetadata('cdk_nag'))).toBe(JSON.stringify(theirs.getMetadata('cdk_nag')));
    }
  });
});
