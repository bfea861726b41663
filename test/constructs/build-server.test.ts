import { readFileSync } from 'fs';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { shop } from './stack-fixtures';
import { DeployFramework, DeploymentEnvironment, TrellisPipeline } from '../../src';
import { synthesizedOnce } from '../support/synth-cache';

type BuildServerProps = NonNullable<ConstructorParameters<typeof TrellisPipeline>[2]>['buildServer'];

/** The installation with `buildServer`; without, the default one, synthesized once for the tests that read it. */
function synth(buildServer?: BuildServerProps) {
  return buildServer ? synthesize(buildServer) : synthesizedOnce('shop, installation acme', () => synthesize(undefined));
}

function synthesize(buildServer: BuildServerProps) {
  const app = new App();
  const stack = new Stack(app, 'TestStack', { env: { account: '111122223333', region: 'eu-west-1' } });
  const pipeline = new TrellisPipeline(stack, 'Trellis', { applications: [shop], installationName: 'acme', buildServer });
  return { app, stack, pipeline, template: Template.fromStack(stack) };
}

const statementsOf = (template: Template, roleLogicalIdPrefix: string) =>
  Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy: any) => policy.Properties.Roles.some((role: any) => role.Ref?.startsWith(roleLogicalIdPrefix)))
    .flatMap((policy: any) => policy.Properties.PolicyDocument.Statement);

describe('BuildServer', () => {
  test('each environment\'s build role reads only its own secret and assumes only its own deploy role; the task definition\'s role holds nothing', () => {
    const { template } = synth();
    expect(statementsOf(template, 'TrellisBuildTaskRole')).toEqual([]);
    const statements = statementsOf(template, 'TrellisBuildEnvironmentRolesshopproduction');
    const secrets = statements.filter((s: any) => JSON.stringify(s.Action).includes('secretsmanager'));
    expect(secrets).toHaveLength(1);
    expect(secrets[0].Action).toBe('secretsmanager:GetSecretValue');
    // Its environment's secret (trellis/acme/shop/production) and the GitHub token; nothing with a wildcard name.
    expect(secrets[0].Resource.map((arn: unknown) => JSON.stringify(arn))).toEqual([
      expect.stringMatching(/:secret:trellis\/acme\/shop\/production-\?{6}"\]\]}$/),
      expect.stringMatching(/:secret:trellis\/acme\/github-token-\?{6}"\]\]}$/),
    ]);

    const assume = statements.find((s: any) => JSON.stringify(s.Action).includes('sts:AssumeRole'));
    // shop's production gives its own role; dev and staging use the bootstrap roles of the stack account/region.
    expect(assume.Resource).toEqual('arn:aws:iam::444455556666:role/deploy');
    const dev = statementsOf(template, 'TrellisBuildEnvironmentRolesshopdev').find((s: any) => JSON.stringify(s.Action).includes('sts:AssumeRole'));
    expect(JSON.stringify(dev.Resource)).toContain(':role/cdk-hnb659fds-*-role-111122223333-eu-west-1');
    expect(JSON.stringify(dev.Resource)).not.toContain('444455556666');

    // Nothing else may be written by the task: table access is read-only.
    const dynamo = statements.filter((s: any) => JSON.stringify(s.Action).includes('dynamodb:')).flatMap((s: any) => [].concat(s.Action));
    expect(dynamo).toContain('dynamodb:GetItem');
    expect(dynamo.filter((action: string) => /Put|Update|Delete|Write/.test(action))).toEqual([]);
    template.resourceCountIs('AWS::IAM::User', 0);
    template.resourceCountIs('AWS::IAM::AccessKey', 0);
  });

  test('a custom environment with its own account and region assumes that account\'s bootstrap roles', () => {
    const stack = new Stack(new App(), 'S', { env: { account: '111122223333', region: 'eu-west-1' } });
    new TrellisPipeline(stack, 'Trellis', {
      installationName: 'acme',
      applications: [{ name: 'api', repository: 'acme/api', environments: [DeploymentEnvironment.custom({ name: 'qa', account: '999988887777', region: 'us-east-2', framework: DeployFramework.cdk() })] }],
    });
    const assume = statementsOf(Template.fromStack(stack), 'TrellisBuildEnvironmentRolesapiqa').find((s: any) => JSON.stringify(s.Action).includes('sts:AssumeRole'));
    expect(JSON.stringify(assume.Resource)).toContain('role/cdk-hnb659fds-*-role-999988887777-us-east-2');
  });

  test('no NAT gateway: public subnets, public IP, outbound-only security group', () => {
    const { template } = synth();
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::EIP', 0);
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT', LogDestinationType: 'cloud-watch-logs' });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Trellis builds: outbound only',
      SecurityGroupIngress: Match.absent(),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('starts build tasks'),
      Environment: { Variables: Match.objectLike({ ASSIGN_PUBLIC_IP: 'true', CONTAINER_NAME: 'builder' }) },
    });
  });

  test('a user VPC is used with its private subnets and no public IP', () => {
    const app = new App();
    const stack = new Stack(app, 'S', { env: { account: '111122223333', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Mine', { maxAzs: 2 });
    new TrellisPipeline(stack, 'Trellis', { applications: [shop], installationName: 'acme', buildServer: { vpc } });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('starts build tasks'),
      Environment: { Variables: Match.objectLike({ ASSIGN_PUBLIC_IP: 'false' }) },
    });
  });

  test('dependency cache: a private, encrypted, TLS-only bucket whose entries expire; builds read and write only deps/*', () => {
    const { template, stack } = synth({ dependencyCacheExpiration: Duration.days(30) });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 30, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' })] },
    });
    const bucket = Object.keys(template.findResources('AWS::S3::Bucket')).find(id => id.startsWith('TrellisBuildDependencyCache'))!;
    expect(bucket).toBeDefined();
    const s3 = statementsOf(template, 'TrellisBuildEnvironmentRolesshopdev').filter((s: any) => JSON.stringify(s.Resource).includes(`"${bucket}"`));
    expect(s3.map((s: any) => [s.Action, JSON.stringify(s.Resource)])).toEqual([
      [['s3:GetObject', 's3:PutObject'], expect.stringMatching(new RegExp(`"${bucket}","Arn"\\]},"/deps/shop/dev/\\*"\\]\\]}`))],
      ['s3:ListBucket', expect.stringContaining(JSON.stringify({ 'Fn::GetAtt': [bucket, 'Arn'] }))],
    ]);
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Environment: Match.arrayWith([{ Name: 'TRELLIS_CACHE_BUCKET', Value: { Ref: bucket } }]) })],
    });
    expect(() => new TrellisPipeline(stack, 'Short', { applications: [shop], installationName: 'short', buildServer: { dependencyCacheExpiration: Duration.hours(2) } }))
      .toThrow('dependencyCacheExpiration must be at least 1 day, got 2 hours');
  });

  test('artifacts: a private, encrypted, TLS-only bucket emptied with the stack whose entries expire; builds read and write only artifacts/*', () => {
    const { template, stack } = synth({ artifactExpiration: Duration.days(30) });
    const buckets = template.findResources('AWS::S3::Bucket');
    const bucket = Object.keys(buckets).find(id => id.startsWith('TrellisBuildArtifacts'))!;
    expect(bucket).toBeDefined();
    expect(buckets[bucket]).toMatchObject({
      DeletionPolicy: 'Delete',
      Properties: {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        LifecycleConfiguration: { Rules: [expect.objectContaining({ ExpirationInDays: 30, Status: 'Enabled' })] },
      },
    });
    // TLS only: the bucket policy denies every request without it.
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy')).filter((policy: any) => policy.Properties.Bucket.Ref === bucket);
    expect(JSON.stringify(policies)).toContain('"aws:SecureTransport":"false"');
    template.hasResourceProperties('Custom::S3AutoDeleteObjects', { BucketName: { Ref: bucket } });

    // Versioned: an overwritten artifact stays recoverable for 30 days.
    expect(buckets[bucket].Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(buckets[bucket].Properties.LifecycleConfiguration.Rules[0].NoncurrentVersionExpiration).toEqual({ NoncurrentDays: 30 });
    const s3 = statementsOf(template, 'TrellisBuildEnvironmentRolesshopdev').filter((s: any) => JSON.stringify(s.Resource).includes(`"${bucket}"`));
    expect(s3.map((s: any) => [s.Action, JSON.stringify(s.Resource)])).toEqual([
      [['s3:GetObject', 's3:PutObject'], expect.stringMatching(new RegExp(`"${bucket}","Arn"\\]},"/artifacts/shop/dev/\\*"\\]\\]}`))],
      ['s3:ListBucket', expect.stringContaining(JSON.stringify({ 'Fn::GetAtt': [bucket, 'Arn'] }))],
    ]);
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Environment: Match.arrayWith([{ Name: 'TRELLIS_ARTIFACT_BUCKET', Value: { Ref: bucket } }]) })],
    });
    expect(() => new TrellisPipeline(stack, 'Short', { applications: [shop], installationName: 'short', buildServer: { artifactExpiration: Duration.hours(12) } }))
      .toThrow('artifactExpiration must be at least 1 day, got 12 hours');
  });

  test('artifacts: kept 90 days by default', () => {
    const { template } = synth();
    const buckets = template.findResources('AWS::S3::Bucket');
    const bucket = Object.keys(buckets).find(id => id.startsWith('TrellisBuildArtifacts'))!;
    expect(buckets[bucket].Properties.LifecycleConfiguration.Rules).toEqual([expect.objectContaining({ ExpirationInDays: 90 })]);
  });

  test('dependency cache: 14 days by default; an environment can turn it off', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::S3::Bucket', { LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 14 })] } });
    expect(DeploymentEnvironment.development({ dependencyCache: false })._toConfig().dependencyCache).toBe(false);
    expect(DeploymentEnvironment.development()._toConfig().dependencyCache).toBeUndefined();
    expect(DeploymentEnvironment.development().dependencyCache).toBe(true);
  });

  test('cpu, memory and storage are configurable', () => {
    const { template } = synth({ cpu: 2048, memoryLimitMiB: 8192, ephemeralStorageGiB: 50 });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '2048', Memory: '8192', EphemeralStorage: { SizeInGiB: 50 }, RequiresCompatibilities: ['FARGATE'],
    });
  });

  test('the EventBridge rule is filtered to this cluster and STOPPED tasks, and targets the finalizer', () => {
    const { template } = synth();
    const [clusterId] = Object.keys(template.findResources('AWS::ECS::Cluster'));
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        'detail': { clusterArn: [{ 'Fn::GetAtt': [clusterId, 'Arn'] }], lastStatus: ['STOPPED'] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('TrellisBuildFinalizer'), 'Arn'] } })],
    });
  });

  test('the launcher reads the launch queue; launcher and finalizer may run only this task definition', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('LaunchQueue'), 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    for (const prefix of ['TrellisBuildLauncherServiceRole', 'TrellisBuildFinalizerServiceRole']) {
      const statements = statementsOf(template, prefix);
      const runTask = statements.find((s: any) => s.Action === 'ecs:RunTask');
      expect(runTask.Resource).toEqual({ Ref: expect.stringMatching(/^TrellisBuildTaskDefinition/) });
      expect(runTask.Condition.ArnEquals['ecs:cluster']).toBeDefined();
      const passRole = statements.find((s: any) => s.Action === 'iam:PassRole');
      expect(passRole.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
    }
  });

  test('the image asset builds from src/builder: its Dockerfile is the one in the source tree', () => {
    const { app, template } = synth();
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Name: 'builder', LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }) })],
    });
    const assembly = app.synth();
    const manifest = JSON.parse(readFileSync(path.join(assembly.directory, 'TestStack.assets.json'), 'utf8'));
    const images = Object.values(manifest.dockerImages ?? {}) as any[];
    expect(images).toHaveLength(1);
    const dockerfile = readFileSync(path.join(assembly.directory, images[0].source.directory, 'Dockerfile'), 'utf8');
    expect(readFileSync(path.join(assembly.directory, images[0].source.directory, 'builder.js'), 'utf8')).toContain('TRELLIS_DEPLOYMENT_ID');
    expect(dockerfile).toBe(readFileSync(path.join(__dirname, '../../src/builder/Dockerfile'), 'utf8'));
  });
});
