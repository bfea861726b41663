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
export function buildRoleFor(
  scope: Construct, id: string, application: string, env: EnvironmentConfig, shared: BuildIdentityShared, previews?: PreviewRoleKind,
): iam.Role {
  // A preview role serves every preview (pr-<n>) of the application, with the settings of the environment they copy (`env`).
  const names = previews ? PREVIEW_NAMES : env.name;
  const what = previews === 'fork' ? `previews of forks' pull requests to ${application} (no secret)`
    : previews ? `pull-request previews of ${application} (the secret of ${env.name})` : `${application}/${env.name}`;
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com', {
      // Only tasks of this account may use it (the confused-deputy guard ECS supports).
      conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
    }),
    description: `Trellis builds of ${what}: its secret, its deploy role, its cache and artifacts`.slice(0, 1000),
  });
  // A fork's code reads no secret, not even the GitHub token (its clone uses the GitHub App's token, or none).
  const secrets = previews === 'fork' ? [] : [
    secretArn(scope, secretPolicyNames.environment(shared.installationName, application, env.name)),
    secretArn(scope, secretPolicyNames.githubToken(shared.installationName)),
  ];
  if (secrets.length > 0) role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: secrets }));

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
          ...!previews && { [`aws:RequestTag/${SESSION_TAGS.environment}`]: env.name },
          [`aws:RequestTag/${SESSION_TAGS.installation}`]: shared.installationName,
        },
        ...previews && { StringLike: { [`aws:RequestTag/${SESSION_TAGS.environment}`]: PREVIEW_NAMES } },
        'ForAllValues:StringEquals': { 'aws:TagKeys': Object.values(SESSION_TAGS) },
      },
    }));
  }

  // An artifact deploys only to the environment it was built for, so no build reads another's.
  // A fork's builds use neither (core/previews.ts turns both off for them): a cache entry a
  // fork saved would run in the next build that restores it, one with secrets.
  const cacheEntries = shared.dependencyCache.arnForObjects(`deps/${application}/${names}/*`);
  const ownArtifacts = shared.artifacts.arnForObjects(`artifacts/${application}/${names}/*`);
  if (previews !== 'fork') {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources: [cacheEntries, ownArtifacts] }));
    // Without it S3 answers a missing entry with 403 instead of 404, and a miss would look like
    // an error. It lists key names (deployment ids, lockfile hashes), never contents.
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [shared.dependencyCache.bucketArn, shared.artifacts.bucketArn] }));
  }
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
      ...secrets.length > 0 ? [{ reason: `the secret of ${application}/${env.name} and the GitHub token, whose ARNs end in a random suffix`, resources: secrets }] : [],
      { reason: 'the CDK bootstrap roles (cdk-hnb659fds-*-role-<account>-<region>: deploy, publishing, lookup) of the environment\'s account and region', resources: deployRoles },
      ...previews === 'fork' ? [] : [{
        reason: `the dependency cache entries and deploy artifacts of ${application}/${names}, keyed by the builder and expired by S3`,
        resources: [cacheEntries, ownArtifacts],
      }],
    ],
  });
  return role;
}

/** Which of an application's two preview roles: its own branches' (the from-environment's secret) or forks' (no secret). */
export type PreviewRoleKind = 'branch' | 'fork';

/** Every preview environment's name (core/previews.ts previewName), as an IAM pattern. */
const PREVIEW_NAMES = 'pr-*';

/** The default CDK bootstrap roles (qualifier hnb659fds) of one account and region. */
function bootstrapRoles(account: string, region: string): string {
  return `arn:${Aws.PARTITION}:iam::${account}:role/cdk-hnb659fds-*-role-${account}-${region}`;
}
