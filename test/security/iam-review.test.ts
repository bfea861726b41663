import { CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { iamGlobMatches } from './support/iam-glob';
import { FoundStatement, TemplateJson, iamStatements, statementsOfRole } from './support/iam-policies';
import { INSTALLATIONS, SECURITY_ENV, securityStack } from './support/stacks';
import { TrellisPipeline } from '../../src';
import { secretNames } from '../../src/contract/secret-names';

/**
 * The IAM review of docs/SECURITY.md as tests, on the synthesized templates: where `*` is
 * allowed, that nobody gets long-term credentials, and which secrets the build task can read.
 */

/**
 * The only actions granted on Resource `*`, each with why. Anything else on `*` fails the review.
 */
const ALLOWED_ON_ANY_RESOURCE: Record<string, string> = {
  // ECR's authorization token is account-wide: the action has no resource type. The build
  // task's execution role needs it to pull the builder image (the pull itself is on the repository).
  'ecr:GetAuthorizationToken': 'no resource-level permissions',
  // aws-cdk-lib's BucketDeployment handler (dashboard files) grants these on `*` and offers no
  // way to scope them; they create and read cache invalidations, which change no content.
  'cloudfront:CreateInvalidation': 'granted on * by aws-cdk-lib BucketDeployment (not configurable)',
  'cloudfront:GetInvalidation': 'granted on * by aws-cdk-lib BucketDeployment (not configurable)',
};

const templates = INSTALLATIONS.map(([name, build]) => {
  const stack = securityStack();
  const pipeline = build(stack);
  return { name, pipeline, template: Template.fromStack(stack).toJSON() as TemplateJson };
});

const secretArn = (name: string) => `arn:aws:secretsmanager:${SECURITY_ENV.region}:${SECURITY_ENV.account}:secret:${name}`;
/** Secrets Manager appends `-` and 6 random characters to every secret's name in its ARN. */
const SUFFIX = '-AbCdEf';
const isSecretRead = (statement: FoundStatement) => statement.effect === 'Allow'
  && statement.actions.some(action => /^secretsmanager:(GetSecretValue|\*)$/.test(action) || action === '*');
const logicalId = (resource: CfnResource): string => Stack.of(resource).resolve(resource.logicalId);
const grantsArn = (statements: FoundStatement[], arn: string) =>
  statements.filter(isSecretRead).some(statement => statement.resources.some(resource => iamGlobMatches(resource, arn)));

describe.each(templates)('IAM review: $name installation', ({ pipeline, template }) => {
  test('Resource * only for actions that have no resource-level permissions', () => {
    const onAnyResource = iamStatements(template)
      .filter(statement => statement.effect === 'Allow' && statement.resources.includes('*'))
      .flatMap(statement => statement.actions.map(action => `${statement.holder}: ${action}`));
    expect(onAnyResource.length).toBeGreaterThan(0); // the template shape this parser expects
    expect(onAnyResource.filter(entry => !(entry.split(': ')[1] in ALLOWED_ON_ANY_RESOURCE))).toEqual([]);
  });

  test('no IAM users, access keys, groups or policies attached to users', () => {
    const types = Object.values(template.Resources).map(resource => resource.Type);
    expect(types).toContain('AWS::IAM::Role');
    expect(types.filter(type => /^AWS::IAM::(User|AccessKey|Group|UserToGroupAddition)$/.test(type))).toEqual([]);
    const userPolicies = Object.entries(template.Resources)
      .filter(([, resource]) => /^AWS::IAM::(Policy|ManagedPolicy)$/.test(resource.Type) && resource.Properties?.Users)
      .map(([id]) => id);
    expect(userPolicies).toEqual([]);
  });

  test('only the webhook function may read the webhook secret', () => {
    const secret = pipeline.webhook.webhookSecret.node.defaultChild as secretsmanager.CfnSecret;
    const arn = secretArn(`${secret.name}${SUFFIX}`);
    expect(arn).toMatch(/:secret:trellis\/[^/]+\/github-webhook-secret-/);
    const readers = iamStatements(template)
      .filter(statement => isSecretRead(statement) && statement.resources.some(resource => resource === `<${logicalId(secret)}>` || iamGlobMatches(resource, arn)))
      .flatMap(statement => statement.roles);
    expect(readers).toEqual([`<${logicalId(pipeline.webhook.handler.role!.node.defaultChild as CfnResource)}>`]);
  });
});

test('every action allowed on * occurs, so the list stays a list of real needs', () => {
  const used = new Set(templates.flatMap(({ template }) => iamStatements(template).filter(s => s.resources.includes('*')).flatMap(s => s.actions)));
  expect(Object.keys(ALLOWED_ON_ANY_RESOURCE).filter(action => !used.has(action))).toEqual([]);
});

describe('the build task reads only its own installation\'s secrets', () => {
  // 'acme' is a prefix of 'acme-two': a grant on `trellis/acme*` would leak between them.
  const INSTALLATION_NAMES = ['acme', 'acme-two', 'other'];
  const stack = securityStack('Installations');
  const pipelines = INSTALLATION_NAMES.map(name =>
    [name, new TrellisPipeline(stack, name, { installationName: name, applications: [{ name: 'shop', repository: 'acme/shop' }] })] as const);
  const template = Template.fromStack(stack).toJSON() as TemplateJson;
  const secretsOf = (installation: string) => ({
    environment: secretArn(`${secretNames.environment(installation, 'shop', 'production')}${SUFFIX}`),
    githubToken: secretArn(`${secretNames.githubToken(installation)}${SUFFIX}`),
    webhook: secretArn(`trellis/${installation}/github-webhook-secret${SUFFIX}`),
  });

  const buildRoles = (pipeline: TrellisPipeline) => ['dev', 'staging', 'production'].map(env => pipeline.buildServer.buildRole('shop', env));
  const buildStatements = (pipeline: TrellisPipeline) => buildRoles(pipeline).flatMap(role => statementsOfRole(template, role));

  test.each(pipelines)('%s: every secret it may read lies under trellis/<installation>/', (installation, pipeline) => {
    const reads = buildStatements(pipeline).filter(isSecretRead);
    const resources = reads.flatMap(statement => statement.resources);
    expect(resources.length).toBeGreaterThan(0);
    expect(resources.filter(resource => !resource.startsWith(secretArn(secretNames.prefix(installation))))).toEqual([]);
  });

  test.each(pipelines)('%s: reads its environment secrets and GitHub token, not its webhook secret', (installation, pipeline) => {
    const statements = statementsOfRole(template, pipeline.buildServer.buildRole('shop', 'production'));
    const own = secretsOf(installation);
    expect(grantsArn(statements, own.environment)).toBe(true);
    expect(grantsArn(statements, own.githubToken)).toBe(true);
    expect(grantsArn(statements, own.webhook)).toBe(false);
  });

  test.each(pipelines)('%s: reads no secret of another installation', (installation, pipeline) => {
    const statements = buildStatements(pipeline);
    const readable = INSTALLATION_NAMES.filter(other => other !== installation)
      .flatMap(other => Object.values(secretsOf(other)))
      .filter(arn => grantsArn(statements, arn));
    expect(readable).toEqual([]);
  });
});
