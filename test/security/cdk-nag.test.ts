import { App, Stack, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SECURITY_ENV, defaultInstallation, fullyConfiguredInstallation } from './support/stacks';
import { BuilderImage, DashboardIdentity } from '../../src';

/**
 * cdk-nag AwsSolutions (v3, through CDK's Validations API) on a default and a fully configured
 * installation. Findings are fixed or acknowledged in the constructs with a reason; IAM4 and
 * IAM5 are acknowledged per finding (each managed policy, each wildcard), so a new wildcard
 * shows here until someone gives it a reason.
 */
function unacknowledgedFindings(configure: (stack: Stack) => void): string[] {
  const app = new App();
  const stack = new Stack(app, 'Nag', { env: SECURITY_ENV });
  configure(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
    return [];
  } catch (error) {
    const findings = [...(error as Error).message.matchAll(/Acknowledge with 'AwsSolutions::(AwsSolutions-[A-Za-z]+\d+(?:\[[^\n']*\])?)'/g)].map(m => m[1]);
    expect(findings.length).toBeGreaterThan(0); // the report format is what this parser expects
    return [...new Set(findings)].sort();
  }
}

describe('cdk-nag AwsSolutions', () => {
  test('default installation: every finding fixed or acknowledged', () => {
    expect(unacknowledgedFindings(stack => defaultInstallation(stack))).toEqual([]);
  });

  test('fully configured installation: every finding fixed or acknowledged', () => {
    expect(unacknowledgedFindings(fullyConfiguredInstallation)).toEqual([]);
  });

  test('builder image built in the account (BuilderImage.fromCodeBuild): every finding fixed or acknowledged', () => {
    expect(unacknowledgedFindings(stack => defaultInstallation(stack, { buildServer: { image: BuilderImage.fromCodeBuild() } }))).toEqual([]);
  });

  test.each([
    ['a user pool of the user\'s', (stack: Stack) => {
      const pool = cognito.UserPool.fromUserPoolId(stack, 'Pool', 'eu-west-1_abc');
      return DashboardIdentity.userPool(pool, cognito.UserPoolClient.fromUserPoolClientId(stack, 'Client', 'client'));
    }],
    ['an OIDC provider', () => DashboardIdentity.oidc({
      issuer: 'https://login.example.com',
      clientId: 'trellis',
      authorizeUrl: 'https://login.example.com/authorize',
      tokenUrl: 'https://login.example.com/token',
    })],
  ])('dashboard signing in with %s: every finding fixed or acknowledged', (_name, identity) => {
    expect(unacknowledgedFindings(stack => defaultInstallation(stack, { dashboard: { identity: identity(stack) } }))).toEqual([]);
  });

  test('acknowledgements are scoped: a new wildcard-free finding elsewhere still shows', () => {
    const findings = unacknowledgedFindings(stack => {
      defaultInstallation(stack);
      new sqs.Queue(stack, 'Unrelated'); // no DLQ, no TLS policy
    });
    expect(findings).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
  });

  test('IAM acknowledgements are per finding: a new wildcard on an acknowledged role still shows', () => {
    const findings = unacknowledgedFindings(stack => {
      const pipeline = defaultInstallation(stack);
      pipeline.buildServer.taskRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::other-bucket/*'] }));
    });
    expect(findings).toEqual(['AwsSolutions-IAM5[Resource::arn:aws:s3:::other-bucket/*]']);
  });
});
