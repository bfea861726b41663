import { Template } from 'aws-cdk-lib/assertions';
import { importedRole, newStack, writtenConfiguration } from './stack-fixtures';
import { ApplicationOptions, DeploymentEnvironment, PreviewForkPolicy, TrellisPipeline } from '../../src';
import { synthesizedOnce } from '../support/synth-cache';

/** Pull-request previews in the construct: the configuration written, and the two build roles. */

const shop: ApplicationOptions = {
  name: 'shop',
  repository: 'acme/shop',
  environments: [
    DeploymentEnvironment.development({ deployRole: importedRole('arn:aws:iam::444455556666:role/deploy-dev'), account: '444455556666' }),
    DeploymentEnvironment.production(),
  ],
  previews: { from: 'dev' },
};

function synth(app: ApplicationOptions = shop) {
  const make = () => {
    const stack = newStack();
    const pipeline = new TrellisPipeline(stack, 'Trellis', { applications: [app], installationName: 'acme' });
    return { pipeline, template: Template.fromStack(stack) };
  };
  return app === shop ? synthesizedOnce('previews: shop from dev', make) : make();
}

const statementsOf = (template: Template, roleLogicalIdPrefix: string) =>
  Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy: any) => policy.Properties.Roles.some((role: any) => role.Ref?.startsWith(roleLogicalIdPrefix)))
    .flatMap((policy: any) => policy.Properties.PolicyDocument.Statement);

describe('TrellisPipeline previews', () => {
  test('the configuration carries previews with their defaults and the two build roles', () => {
    const { template } = synth();
    const [app] = writtenConfiguration(template);
    expect(app.previews).toEqual({
      from: 'dev',
      forks: 'approve',
      maxConcurrent: 3,
      buildRoleArn: expect.stringMatching(/^<TrellisBuildEnvironmentRolesshopPreviews\w+\.Arn>$/),
      forkBuildRoleArn: expect.stringMatching(/^<TrellisBuildEnvironmentRolesshopForkPreviews\w+\.Arn>$/),
    });
  });

  test("the previews' role reads dev's secret; the fork role reads no secret; both assume dev's deploy role with pr-* session tags", () => {
    const { template } = synth();
    const branch = statementsOf(template, 'TrellisBuildEnvironmentRolesshopPreviews');
    const fork = statementsOf(template, 'TrellisBuildEnvironmentRolesshopForkPreviews');
    const secrets = branch.filter((s: any) => JSON.stringify(s.Action).includes('secretsmanager'));
    expect(secrets.map((s: any) => s.Resource.map((arn: unknown) => JSON.stringify(arn)))).toEqual([[
      expect.stringMatching(/:secret:trellis\/acme\/shop\/dev-\?{6}"\]\]}$/),
      expect.stringMatching(/:secret:trellis\/acme\/github-token-\?{6}"\]\]}$/),
    ]]);
    expect(JSON.stringify(fork)).not.toContain('secretsmanager');
    for (const statements of [branch, fork]) {
      expect(statements.find((s: any) => s.Action === 'sts:AssumeRole').Resource).toBe('arn:aws:iam::444455556666:role/deploy-dev');
      const tag = statements.find((s: any) => s.Action === 'sts:TagSession');
      expect(tag.Condition.StringLike).toEqual({ 'aws:RequestTag/trellis:environment': 'pr-*' });
      expect(tag.Condition.StringEquals).toEqual({ 'aws:RequestTag/trellis:application': 'shop', 'aws:RequestTag/trellis:installation': 'acme' });
    }
    // Only the repository's own previews use the dependency cache and artifacts: a fork's saved
    // entries could run in a build with secrets, so its role reaches neither bucket.
    expect(JSON.stringify(branch)).toContain('deps/shop/pr-*/*');
    expect(JSON.stringify(branch)).toContain('artifacts/shop/pr-*/*');
    expect(fork.filter((s: any) => JSON.stringify(s.Action).includes('s3:'))).toEqual([]);
  });

  test('the launcher may pass both roles to build tasks', () => {
    const { template } = synth();
    const passRole = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((policy: any) => policy.Properties.PolicyDocument.Statement)
      .find((s: any) => s.Action === 'iam:PassRole');
    const passed = JSON.stringify(passRole.Resource);
    expect(passed).toContain('TrellisBuildEnvironmentRolesshopPreviews');
    expect(passed).toContain('TrellisBuildEnvironmentRolesshopForkPreviews');
  });

  test('options: forks ignored (no fork build role at all), another cap', () => {
    const { template } = synth({ ...shop, previews: { from: 'dev', forks: PreviewForkPolicy.IGNORE, maxConcurrent: 5 } });
    const previews = writtenConfiguration(template)[0].previews;
    expect(previews).toMatchObject({ forks: 'ignore', maxConcurrent: 5, buildRoleArn: expect.any(String) });
    expect(previews.forkBuildRoleArn).toBeUndefined();
    const roles = JSON.stringify(template.findResources('AWS::IAM::Role'));
    expect(roles).toContain('pull-request previews of shop');
    expect(roles).not.toContain('ForkPreviews');
    expect(JSON.stringify(template.toJSON())).not.toContain('ForkPreviews');
  });

  test.each([
    ['a from that is no environment', { from: 'qa' }, /applications\[0\]\.previews\.from: 'qa' is not an environment of shop/],
    ['production as from', { from: 'production' }, /applications\[0\]\.previews\.from: 'production' is a production environment/],
    ['a protected environment as from', { from: 'live' }, /applications\[0\]\.previews\.from: 'live' is protected \(admins only\)/],
    ['a cap of 0', { from: 'dev', maxConcurrent: 0 }, /applications\[0\]\.previews\.maxConcurrent: must be a whole number from 1 to 50/],
    ['an unknown key', { from: 'dev', maxConcurent: 2 }, /applications\[0\]\.previews\.maxConcurent.*maxConcurrent/],
  ])('refused at synth: %s', (_, previews, message) => {
    const withLive = [...shop.environments!, DeploymentEnvironment.custom({ name: 'live', protected: true })];
    expect(() => synth({ ...shop, environments: withLive, previews: previews as any })).toThrow(message);
  });

  test('no previews: no preview roles', () => {
    const { template } = synth({ ...shop, previews: undefined });
    expect(JSON.stringify(template.toJSON())).not.toContain('Previews');
  });
});
