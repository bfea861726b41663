import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import { importedRole, shop } from './stack-fixtures';
import { BuildServerOptions, DeploymentEnvironment, TrellisPipeline } from '../../src';

/**
 * The build server as a CDK user meets it: its network (vpcSubnets, securityGroups, connections),
 * its grants (grantX(grantee): Grant, separate from the runner's settings) and deploy roles as
 * IRole. Each case reads the synthesized template.
 */

function synth(buildServer: BuildServerOptions = {}, build: (stack: Stack) => BuildServerOptions = () => buildServer) {
  const stack = new Stack(new App(), 'S', { env: { account: '111122223333', region: 'eu-west-1' } });
  const pipeline = new TrellisPipeline(stack, 'Trellis', { applications: [shop], installationName: 'acme', buildServer: build(stack) });
  return { stack, pipeline };
}
const launcherVariables = (template: Template) => Object.values(template.findResources('AWS::Lambda::Function'))
  .find((fn: any) => /starts build tasks/.test(fn.Properties.Description))!.Properties.Environment.Variables;
const policyOf = (template: Template, roleId: string) => Object.values(template.findResources('AWS::IAM::Policy'))
  .filter((policy: any) => policy.Properties.Roles.some((role: any) => role.Ref === roleId))
  .flatMap((policy: any) => policy.Properties.PolicyDocument.Statement);

describe('build networking', () => {
  test('securityGroups replace the created group, and the runner starts builds in exactly those', () => {
    const { stack } = synth({}, s => {
      const vpc = new ec2.Vpc(s, 'Vpc', { maxAzs: 2 });
      return { vpc, securityGroups: [new ec2.SecurityGroup(s, 'A', { vpc }), new ec2.SecurityGroup(s, 'B', { vpc })] };
    });
    const template = Template.fromStack(stack);
    const groups = Object.keys(template.findResources('AWS::EC2::SecurityGroup'));
    expect(groups.some(id => id.includes('BuildSecurityGroup'))).toBe(false);
    const ids = stack.resolve(launcherVariables(template).SECURITY_GROUP_IDS);
    expect(JSON.stringify(ids)).toContain('"A');
    expect(JSON.stringify(ids)).toContain('"B');
  });

  test('connections let builds into a private database, on its port only', () => {
    const { stack, pipeline } = synth({}, s => ({ vpc: new ec2.Vpc(s, 'Vpc', { maxAzs: 2 }) }));
    const database = new rds.DatabaseCluster(stack, 'Db', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
      writer: rds.ClusterInstance.serverlessV2('Writer'),
      vpc: pipeline.buildServer.cluster.vpc,
    });
    database.connections.allowDefaultPortFrom(pipeline.buildServer, 'Trellis builds run migrations');
    const template = Template.fromStack(stack);
    const buildGroup = Object.keys(template.findResources('AWS::EC2::SecurityGroup')).find(id => id.includes('BuildSecurityGroup'))!;
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      SourceSecurityGroupId: { 'Fn::GetAtt': [buildGroup, 'GroupId'] },
      FromPort: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Db'), 'Endpoint.Port'] },
      Description: 'Trellis builds run migrations',
    });
    expect(pipeline.buildServer.connections.securityGroups).toHaveLength(1);
  });

  test.each<[string, (vpc: ec2.Vpc) => ec2.SubnetSelection | undefined, string]>([
    ['no vpcSubnets: private subnets with egress, no public IP', () => undefined, 'false'],
    ['public subnets: a public IP, or builds would have no internet', () => ({ subnetType: ec2.SubnetType.PUBLIC }), 'true'],
    ['public subnets chosen by object', vpc => ({ subnets: vpc.publicSubnets }), 'true'],
    ['private subnets chosen by group name', () => ({ subnetGroupName: 'Private' }), 'false'],
    ['a public and a private subnet: a public IP, or builds placed in the public one would have no internet',
      vpc => ({ subnets: [vpc.publicSubnets[0], vpc.privateSubnets[0]] }), 'true'],
  ])('vpcSubnets in a user VPC, %s', (_, select, publicIp) => {
    const { stack } = synth({}, s => {
      const vpc = new ec2.Vpc(s, 'Vpc', { maxAzs: 2 });
      return { vpc, vpcSubnets: select(vpc) };
    });
    expect(launcherVariables(Template.fromStack(stack)).ASSIGN_PUBLIC_IP).toBe(publicIp);
  });
});

test('a VPC without the default private subnets: the error names vpcSubnets and how to choose', () => {
  expect(() => synth({}, s => ({ vpc: new ec2.Vpc(s, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'pub', subnetType: ec2.SubnetType.PUBLIC }] }) })))
    .toThrow(/^vpcSubnets: There are no 'Private' subnet groups in this VPC.*Choose the subnets builds run in, e\.g\. \{ subnetType: ec2\.SubnetType\.PUBLIC \}/);
});

describe('grants', () => {
  test('grantRunBuilds gives any principal RunTask, Stop/Describe and PassRole, returns the Grant, and sets no variables', () => {
    const { stack, pipeline } = synth();
    const role = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    const grant = pipeline.buildServer.grantRunBuilds(role);
    expect(grant.success).toBe(true);
    const template = Template.fromStack(stack);
    const actions = policyOf(template, stack.getLogicalId(role.node.defaultChild as iam.CfnRole)).map((s: any) => s.Action);
    expect(actions).toEqual(expect.arrayContaining(['ecs:RunTask', ['ecs:StopTask', 'ecs:DescribeTasks'], 'iam:PassRole']));
  });

  test('grantStopBuilds gives stop and describe only; addRunnerSettings gives the settings only', () => {
    const { stack, pipeline } = synth();
    const fn = new lambda.Function(stack, 'Canceller', {
      description: 'cancels builds',
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
    });
    pipeline.buildServer.grantStopBuilds(fn);
    pipeline.buildServer.addRunnerSettings(fn);
    const template = Template.fromStack(stack);
    const statements = policyOf(template, stack.getLogicalId(fn.role!.node.defaultChild as iam.CfnRole));
    expect(statements.map((s: any) => s.Action)).toEqual([['ecs:StopTask', 'ecs:DescribeTasks']]);
    const variables = Object.values(template.findResources('AWS::Lambda::Function'))
      .find((f: any) => f.Properties.Description === 'cancels builds')!.Properties.Environment.Variables;
    expect(Object.keys(variables)).toEqual(expect.arrayContaining(['CLUSTER_ARN', 'TASK_DEFINITION_ARN', 'SUBNET_IDS', 'SECURITY_GROUP_IDS', 'ASSIGN_PUBLIC_IP']));
  });
});

describe('deploy roles', () => {
  test('a role of the same stack: the build role may assume exactly it', () => {
    const stack = new Stack(new App(), 'S', { env: { account: '111122223333', region: 'eu-west-1' } });
    const deployRole = new iam.Role(stack, 'DevDeploy', { assumedBy: new iam.AccountRootPrincipal() });
    new TrellisPipeline(stack, 'Trellis', {
      installationName: 'acme',
      applications: [{ name: 'shop', repository: 'acme/shop', environments: [DeploymentEnvironment.development({ deployRole })] }],
    });
    const template = Template.fromStack(stack);
    const buildRole = Object.keys(template.findResources('AWS::IAM::Role')).find(id => id.startsWith('TrellisBuildEnvironmentRolesshopdev'))!;
    const assume = policyOf(template, buildRole).find((s: any) => s.Action === 'sts:AssumeRole');
    expect(assume.Resource).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(deployRole.node.defaultChild as iam.CfnRole), 'Arn'] });
  });

  test.each<[string, unknown]>([
    ['an ARN string (plain JavaScript)', 'arn:aws:iam::444455556666:role/prod-deploy'],
    ['an object without roleArn', { arn: 'arn:aws:iam::444455556666:role/prod-deploy' }],
    ['null', null],
  ])('%s where a role belongs is refused, naming deployRole', (_, deployRole) => {
    expect(() => synth().pipeline.addApplication({
      name: 'billing', repository: 'acme/billing', environments: [DeploymentEnvironment.development({ deployRole: deployRole as iam.IRole })],
    })).toThrow(/applications\[1\]\.environments\[0\]\.deployRole: must be an iam\.IRole; a role by ARN is iam\.Role\.fromRoleArn/);
  });

  test('a role of another account, by ARN: that ARN, written to the configuration', () => {
    const arn = 'arn:aws:iam::444455556666:role/prod-deploy';
    const environment = DeploymentEnvironment.production({ account: '444455556666', deployRole: importedRole(arn) });
    expect(environment._toConfig().deployRoleArn).toBe(arn);
  });
});
