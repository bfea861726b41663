import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledge';
import { secretArn } from './secret-arn';
import { secretPolicyNames } from '../../contract/secret-names';
import { SESSION_TAGS } from '../../contract/session-tags';
import { keys } from '../../contract/table-schema';
import { EnvironmentConfig } from '../../runtime/core/types';
import { StateTable } from '../state-table';

/** What every environment's build role is given access to. */
export interface BuildIdentityShared {
  readonly installationName: string;
  readonly table: StateTable;
  readonly dependencyCache: s3.IBucket;
  readonly artifacts: s3.IBucket;
  /** The stack's account and region: an environment without its own deploys there. */
  readonly defaultAccount: string;
  readonly defaultRegion: string;
}

/**
 * The role one environment's builds run with (the RunTask override of the task role): that
 * environment's secret and the GitHub token, that environment's deploy role (tagged with its
 * application, environment and installation) or the CDK bootstrap roles of its account and
 * region, its own prefixes of the dependency cache and the artifacts (it reads its
 * application's other artifacts: a promotion deploys what the source environment built), and
 * read access to the table. Nothing of another application or environment.
 */
export function buildRoleFor(scope: Construct, id: string, application: string, env: EnvironmentConfig, shared: BuildIdentityShared): iam.Role {
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com', {
      // Only tasks of this account may use it (the confused-deputy guard ECS supports).
      conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
    }),
    description: `Trellis builds of ${application}/${env.name}: its secret, its deploy role, its cache and artifacts`,
  });
  const secrets = [
    secretArn(scope, secretPolicyNames.environment(shared.installationName, application, env.name)),
    secretArn(scope, secretPolicyNames.githubToken(shared.installationName)),
  ];
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: secrets }));

  const deployRoles = [env.deployRoleArn ?? bootstrapRoles(env.account ?? shared.defaultAccount, env.region ?? shared.defaultRegion)];
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: deployRoles }));
  if (env.deployRoleArn) {
    // The builder tags the deploy role's session; it may set these tags to these values only,
    // so a trust policy that requires them admits this environment's builds alone.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['sts:TagSession'],
      resources: deployRoles,
      conditions: {
        'StringEquals': {
          [`aws:RequestTag/${SESSION_TAGS.application}`]: application,
          [`aws:RequestTag/${SESSION_TAGS.environment}`]: env.name,
          [`aws:RequestTag/${SESSION_TAGS.installation}`]: shared.installationName,
        },
        'ForAllValues:StringEquals': { 'aws:TagKeys': Object.values(SESSION_TAGS) },
      },
    }));
  }

  // An artifact deploys only to the environment it was built for, so no build reads another's.
  const cacheEntries = shared.dependencyCache.arnForObjects(`deps/${application}/${env.name}/*`);
  const ownArtifacts = shared.artifacts.arnForObjects(`artifacts/${application}/${env.name}/*`);
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources: [cacheEntries, ownArtifacts] }));
  // Without it S3 answers a missing entry with 403 instead of 404, and a miss would look like
  // an error. It lists key names (deployment ids, lockfile hashes), never contents.
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [shared.dependencyCache.bucketArn, shared.artifacts.bucketArn] }));
  // Configuration and deployment records only (what the builder reads, by key): not the logs,
  // live connections or webhook deliveries of the installation's other builds.
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['dynamodb:GetItem', 'dynamodb:Query'],
    resources: [shared.table.table.tableArn],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [keys.configuration().PK, keys.deployment('*').PK] } },
  }));
  shared.table.table.encryptionKey?.grantDecrypt(role);

  acknowledge(role, {
    IAM5: [
      { reason: `the secret of ${application}/${env.name} and the GitHub token, whose ARNs end in a random suffix`, resources: secrets },
      { reason: 'the CDK bootstrap roles (cdk-hnb659fds-*-role-<account>-<region>: deploy, publishing, lookup) of the environment\'s account and region', resources: deployRoles },
      { reason: `the dependency cache entries and deploy artifacts of ${application}/${env.name}, keyed by the builder and expired by S3`, resources: [cacheEntries, ownArtifacts] },
    ],
  });
  return role;
}

/** The default CDK bootstrap roles (qualifier hnb659fds) of one account and region. */
function bootstrapRoles(account: string, region: string): string {
  return `arn:${Aws.PARTITION}:iam::${account}:role/cdk-hnb659fds-*-role-${account}-${region}`;
}
