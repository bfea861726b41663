import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  DashboardIdentity, DeployFramework, DeploymentEnvironment, GitHubApp, TestCommand, TrellisPipeline, TrellisPipelineProps, WebSocketAuthentication,
} from '../../../src';
import { ensureDashboardAssets } from '../../constructs/stack-fixtures';

ensureDashboardAssets();

/**
 * The installations the security suite checks (cdk-nag, cfn-lint, IAM review, secrets scan):
 * the default one and one with every option that changes resources or grants set.
 */

export const SECURITY_ENV = { account: '111122223333', region: 'eu-west-1' };

/** A new stack of its own app, in a fixed account and region. */
export function securityStack(id: string = 'Security'): Stack {
  return new Stack(new App(), id, { env: SECURITY_ENV });
}

/** What `new TrellisPipeline` gets with nothing but one application. */
export function defaultInstallation(stack: Stack, props: Partial<TrellisPipelineProps> = {}): TrellisPipeline {
  return new TrellisPipeline(stack, 'Trellis', { applications: [{ name: 'shop', repository: 'acme/shop' }], ...props });
}

/** Every option that adds resources or grants: own KMS key, Cognito with MFA and threat protection, access logs, a deploy role, a GitHub App. */
export function fullyConfiguredInstallation(stack: Stack): TrellisPipeline {
  return new TrellisPipeline(stack, 'Trellis', {
    installationName: 'acme',
    github: GitHubApp.fromSetupPage({ organization: 'acme' }),
    table: { encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }) },
    buildServer: { cpu: 2048, memoryLimitMiB: 8192, ephemeralStorageGiB: 50 },
    logs: {
      retention: Duration.days(365),
      authentication: WebSocketAuthentication.jwt({ issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc', audiences: ['client'] }),
    },
    dashboard: {
      identity: DashboardIdentity.cognito({ domainPrefix: 'acme-deploys', mfaRequired: true, threatProtection: true }),
      callbackUrls: ['http://localhost:5173/'],
      accessLogBucket: accessLogBucket(stack),
    },
    applications: [
      { name: 'shop', repository: 'acme/shop' },
      {
        name: 'billing',
        repository: 'acme/billing',
        environments: [
          DeploymentEnvironment.custom({ name: 'preview', branch: 'develop', testCommand: TestCommand.command(['npx', 'vitest', 'run']), framework: DeployFramework.sst() }),
          DeploymentEnvironment.production({ account: '444455556666', deployRole: iam.Role.fromRoleArn(stack, 'ProductionDeploy', 'arn:aws:iam::444455556666:role/deploy'), region: 'us-east-1' }),
        ],
      },
    ],
  });
}

/** Both installations by name, for suites that check each the same way. */
export const INSTALLATIONS: ReadonlyArray<readonly [string, (stack: Stack) => TrellisPipeline]> = [
  ['default', stack => defaultInstallation(stack)],
  ['fully configured', fullyConfiguredInstallation],
];

/** A bucket for CloudFront access logs as a user would bring it (ACLs allowed, TLS only). */
function accessLogBucket(stack: Stack): s3.IBucket {
  const bucket = new s3.Bucket(stack, 'AccessLogs', {
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
  });
  Validations.of(bucket).acknowledge({ id: 'AwsSolutions::AwsSolutions-S1', reason: 'the log bucket itself (test fixture)' });
  return bucket;
}
