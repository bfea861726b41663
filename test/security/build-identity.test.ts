import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { iamGlobMatches } from './support/iam-glob';
import { FoundStatement, TemplateJson, iamStatements, statementsOfRole } from './support/iam-policies';
import { SECURITY_ENV, securityStack } from './support/stacks';
import { DeploymentEnvironment, TrellisPipeline } from '../../src';
import { secretNames } from '../../src/contract/secret-names';
import { SESSION_TAGS } from '../../src/contract/session-tags';
import { keys } from '../../src/contract/table-schema';

/**
 * Each environment's builds hold only their own keys, read from the synthesized template of an
 * installation with 2 applications × 3 environments whose deploy roles are in different
 * accounts: which deploy roles, secrets, cache and artifact prefixes each build role reaches.
 */

const INSTALLATION = 'acme';
const APPS = ['shop', 'billing'];
const ENVS = [
  { name: 'dev', account: '111111111111' },
  { name: 'staging', account: '222222222222' },
  { name: 'production', account: '333333333333' },
];
const deployRole = (app: string, env: string) => `arn:aws:iam::${ENVS.find(e => e.name === env)!.account}:role/${app}-${env}-deploy`;

const stack = securityStack('Identity');
const pipeline = new TrellisPipeline(stack, 'Trellis', {
  installationName: INSTALLATION,
  applications: APPS.map(app => ({
    name: app,
    repository: `acme/${app}`,
    environments: [
      DeploymentEnvironment.development({ account: '111111111111', deployRole: iam.Role.fromRoleArn(stack, `${app}Dev`, deployRole(app, 'dev')) }),
      DeploymentEnvironment.staging({ account: '222222222222', deployRole: iam.Role.fromRoleArn(stack, `${app}Staging`, deployRole(app, 'staging')) }),
      DeploymentEnvironment.production({ account: '333333333333', deployRole: iam.Role.fromRoleArn(stack, `${app}Production`, deployRole(app, 'production')) }),
    ],
  })),
});
const template = Template.fromStack(stack).toJSON() as TemplateJson;
const bucketArn = (bucket: { node: { defaultChild?: unknown } }) => `<${Stack.of(stack).resolve((bucket.node.defaultChild as iam.CfnRole).logicalId)}.Arn>`;
const cacheObject = (app: string, env: string) => `${bucketArn(pipeline.buildServer.dependencyCache)}/deps/${app}/${env}/npm/node22-linux-x64/abc`;
const artifactObject = (app: string, env: string) => `${bucketArn(pipeline.buildServer.artifacts)}/artifacts/${app}/${env}/20260301T120000000Z-0000000a`;
const secretArn = (name: string) => `arn:aws:secretsmanager:${SECURITY_ENV.region}:${SECURITY_ENV.account}:secret:${name}-AbCdEf`;

/** Whether an Allow statement grants `action` on `arn` (no Deny statements are written for build roles). */
function allows(statements: readonly FoundStatement[], action: string, arn: string): boolean {
  return statements.some(statement => statement.effect === 'Allow'
    && statement.actions.some(granted => iamGlobMatches(granted, action))
    && statement.resources.some(resource => iamGlobMatches(resource, arn)));
}

const PAIRS = APPS.flatMap(app => ENVS.map(env => [app, env.name] as const));
const others = (app: string, env: string) => PAIRS.filter(([a, e]) => a !== app || e !== env);

describe.each(PAIRS)('the build role of %s/%s', (app, env) => {
  const statements = statementsOfRole(template, pipeline.buildServer.buildRole(app, env));

  test('assumes its own environment\'s deploy role and no other', () => {
    expect(allows(statements, 'sts:AssumeRole', deployRole(app, env))).toBe(true);
    expect(others(app, env).filter(([a, e]) => allows(statements, 'sts:AssumeRole', deployRole(a, e)))).toEqual([]);
  });

  test('tags the deploy role session with its own application, environment and installation only', () => {
    const tagging = statements.filter(statement => statement.actions.includes('sts:TagSession'));
    expect(tagging).toHaveLength(1);
    expect(tagging[0].resources).toEqual([deployRole(app, env)]);
    expect(tagging[0].conditions.StringEquals).toEqual({
      [`aws:RequestTag/${SESSION_TAGS.application}`]: app,
      [`aws:RequestTag/${SESSION_TAGS.environment}`]: env,
      [`aws:RequestTag/${SESSION_TAGS.installation}`]: INSTALLATION,
    });
    expect(tagging[0].conditions['ForAllValues:StringEquals']).toEqual({ 'aws:TagKeys': Object.values(SESSION_TAGS) });
  });

  test('reads its own environment\'s secret and the GitHub token, no other application\'s or environment\'s, not the webhook secret', () => {
    expect(allows(statements, 'secretsmanager:GetSecretValue', secretArn(secretNames.environment(INSTALLATION, app, env)))).toBe(true);
    expect(allows(statements, 'secretsmanager:GetSecretValue', secretArn(secretNames.githubToken(INSTALLATION)))).toBe(true);
    expect(allows(statements, 'secretsmanager:GetSecretValue', secretArn(`trellis/${INSTALLATION}/github-webhook-secret`))).toBe(false);
    const readable = others(app, env).filter(([a, e]) => allows(statements, 'secretsmanager:GetSecretValue', secretArn(secretNames.environment(INSTALLATION, a, e))));
    expect(readable).toEqual([]);
  });

  test('writes only its own dependency cache and artifact prefixes', () => {
    expect(allows(statements, 's3:PutObject', cacheObject(app, env))).toBe(true);
    expect(allows(statements, 's3:PutObject', artifactObject(app, env))).toBe(true);
    expect(others(app, env).filter(([a, e]) => allows(statements, 's3:PutObject', cacheObject(a, e)))).toEqual([]);
    expect(others(app, env).filter(([a, e]) => allows(statements, 's3:PutObject', artifactObject(a, e)))).toEqual([]);
    // Nothing else that writes or deletes objects.
    const writes = statements.flatMap(statement => statement.actions).filter(action => /^s3:(Put|Delete|Restore|\*)/.test(action) || action === '*');
    expect(writes).toEqual(['s3:PutObject']);
  });

  test('reads only its own dependency cache and artifact prefixes', () => {
    expect(allows(statements, 's3:GetObject', cacheObject(app, env))).toBe(true);
    expect(allows(statements, 's3:GetObject', artifactObject(app, env))).toBe(true);
    expect(others(app, env).filter(([a, e]) => allows(statements, 's3:GetObject', cacheObject(a, e)))).toEqual([]);
    expect(others(app, env).filter(([a, e]) => allows(statements, 's3:GetObject', artifactObject(a, e)))).toEqual([]);
  });
});

test.each(PAIRS)('the build role of %s/%s reads the table\'s configuration and deployment records by key, nothing else', (app, env) => {
  const statements = statementsOfRole(template, pipeline.buildServer.buildRole(app, env));
  const table = statements.filter(statement => statement.actions.some(action => action.startsWith('dynamodb:')));
  expect(table).toHaveLength(1);
  expect(table[0].actions).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
  expect(table[0].resources).toHaveLength(1);
  expect(table[0].resources[0]).toMatch(/^<TrellisTable\w+\.Arn>$/); // the table, not its indexes
  expect(table[0].conditions).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CONFIG', 'DEP#*'] } });
  // Not the deployments' ingest tokens, nor their logs.
  const readable = (key: string) => ['CONFIG', 'DEP#*'].some(pattern => iamGlobMatches(pattern, key));
  expect([keys.ingestToken('20260301T120000000Z-0000000a').PK, keys.logHead('20260301T120000000Z-0000000a').PK].filter(readable)).toEqual([]);
});

test('the task definition\'s own role may do nothing: a build without its environment\'s role holds no keys', () => {
  expect(statementsOfRole(template, pipeline.buildServer.taskRole)).toEqual([]);
});

test('the launcher may pass each environment\'s build role to ECS, and only to ECS', () => {
  const passing = iamStatements(template).filter(statement => statement.actions.includes('iam:PassRole'));
  expect(passing.length).toBeGreaterThan(0);
  for (const statement of passing) expect(statement.conditions.StringEquals).toEqual({ 'iam:PassedToService': 'ecs-tasks.amazonaws.com' });
  const launcher = passing.filter(statement => statement.roles.includes(`<${Stack.of(stack).resolve((pipeline.buildServer.launcher.role!.node.defaultChild as iam.CfnRole).logicalId)}>`));
  const passable = launcher.flatMap(statement => statement.resources);
  for (const [app, env] of PAIRS) {
    const role = pipeline.buildServer.buildRole(app, env).node.defaultChild as iam.CfnRole;
    expect(passable).toContain(`<${Stack.of(stack).resolve(role.logicalId)}.Arn>`);
  }
});

test('the control API (cancel) may stop and describe build tasks, never start one or pass a role', () => {
  const api = `<${Stack.of(stack).resolve((pipeline.dashboard.apiFunction.role!.node.defaultChild as iam.CfnRole).logicalId)}>`;
  const actions = iamStatements(template).filter(statement => statement.roles.includes(api)).flatMap(statement => statement.actions);
  expect(actions).toEqual(expect.arrayContaining(['ecs:StopTask', 'ecs:DescribeTasks']));
  expect(actions.filter(action => /^(ecs:RunTask|iam:PassRole|ecs:\*|iam:\*|\*)$/.test(action))).toEqual([]);
});

test('each environment\'s configuration carries its build role to the launcher', () => {
  const [configuration] = Object.values(template.Resources).filter(resource => resource.Type === 'Custom::TrellisConfiguration');
  const written = JSON.stringify(configuration.Properties.Applications);
  for (const [app, env] of PAIRS) {
    const role = pipeline.buildServer.buildRole(app, env).node.defaultChild as iam.CfnRole;
    expect(written).toContain(Stack.of(stack).resolve(role.logicalId));
  }
});

test('without deploy roles, an environment in another account assumes only that account\'s bootstrap roles', () => {
  const other = securityStack('Bootstrap');
  const installation = new TrellisPipeline(other, 'Trellis', {
    installationName: INSTALLATION,
    applications: [{
      name: 'shop',
      repository: 'acme/shop',
      environments: [DeploymentEnvironment.development({ account: '111111111111' }), DeploymentEnvironment.production({ account: '333333333333' })],
    }],
  });
  const otherTemplate = Template.fromStack(other).toJSON() as TemplateJson;
  const bootstrap = (account: string) => `arn:aws:iam::${account}:role/cdk-hnb659fds-deploy-role-${account}-${SECURITY_ENV.region}`;
  const dev = statementsOfRole(otherTemplate, installation.buildServer.buildRole('shop', 'dev'));
  const production = statementsOfRole(otherTemplate, installation.buildServer.buildRole('shop', 'production'));
  expect(allows(dev, 'sts:AssumeRole', bootstrap('111111111111'))).toBe(true);
  expect(allows(dev, 'sts:AssumeRole', bootstrap('333333333333'))).toBe(false);
  expect(allows(production, 'sts:AssumeRole', bootstrap('333333333333'))).toBe(true);
  expect(allows(production, 'sts:AssumeRole', bootstrap('111111111111'))).toBe(false);
});

test('buildRole names the environment it does not know', () => {
  expect(() => pipeline.buildServer.buildRole('shop', 'qa')).toThrow(/no environment shop\/qa/);
});
