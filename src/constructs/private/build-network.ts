import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { trellisLogGroup } from './log-groups';
import { propName } from './prop-issues';

/** The network options of the build server. */
export interface BuildNetworkOptions {
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly securityGroups?: ec2.ISecurityGroup[];
  readonly logRetention?: logs.RetentionDays;
}

/** Where builds run: the VPC, its subnets, whether tasks need a public IP, their security groups. */
export interface BuildNetwork {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SelectedSubnets;
  readonly assignPublicIp: boolean;
  readonly securityGroups: ec2.ISecurityGroup[];
}

/**
 * The given VPC, or a new one with public subnets only, no NAT gateway and a flow log of
 * rejected traffic (no idle cost); the subnets builds run in and their security groups.
 */
export function buildNetwork(scope: Construct, options: BuildNetworkOptions): BuildNetwork {
  const vpc = options.vpc ?? new ec2.Vpc(scope, 'Vpc', {
    maxAzs: 2,
    natGateways: 0, // no idle cost: builds reach the internet through their public IP
    subnetConfiguration: [{ name: 'builds', subnetType: ec2.SubnetType.PUBLIC }],
    // Rejected traffic only: a record of what was refused, at no cost while idle.
    flowLogs: {
      rejected: {
        destination: ec2.FlowLogDestination.toCloudWatchLogs(trellisLogGroup(scope, 'FlowLogs', options.logRetention)),
        trafficType: ec2.FlowLogTrafficType.REJECT,
      },
    },
  });
  const selection = options.vpcSubnets
    ?? { subnetType: options.vpc ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PUBLIC };
  const subnets = selectBuildSubnets(vpc, selection);
  // Fargate gives a task a public IP only when asked; without one, a task in a public subnet has
  // no internet. In a private subnet the address is unused (its traffic goes through the NAT).
  const publicSubnetIds = vpc.publicSubnets.map(subnet => subnet.subnetId);
  const assignPublicIp = !options.vpc || subnets.subnetIds.some(subnetId => publicSubnetIds.includes(subnetId));
  const securityGroups = options.securityGroups && options.securityGroups.length > 0 ? [...options.securityGroups] : [new ec2.SecurityGroup(scope, 'BuildSecurityGroup', {
    vpc,
    description: 'Trellis builds: outbound only',
    allowAllOutbound: true,
  })];
  return { vpc, subnets, assignPublicIp, securityGroups };
}

/** The subnets builds run in; a VPC without them gets an error naming the prop, not only CDK's. */
function selectBuildSubnets(vpc: ec2.IVpc, selection: ec2.SubnetSelection): ec2.SelectedSubnets {
  try {
    return vpc.selectSubnets(selection);
  } catch (error) {
    throw new Error(`${propName('vpcSubnets')}: ${(error as Error).message}. Choose the subnets builds run in, `
      + 'e.g. { subnetType: ec2.SubnetType.PUBLIC } (builds need outbound internet: public subnets, or private ones with a NAT gateway)');
  }
}
