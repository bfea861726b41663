import { Template } from 'aws-cdk-lib/assertions';
import { iamStatements, TemplateJson } from './support/iam-policies';
import { defaultInstallation, securityStack } from './support/stacks';
import { BuilderImage } from '../../src';

/**
 * IAM review of the installation that builds its builder image in the account
 * (BuilderImage.fromCodeBuild): it adds nothing on Resource * that the default installation
 * does not have, and no action wildcards.
 */
function statements(withCodeBuild: boolean) {
  const stack = securityStack();
  defaultInstallation(stack, withCodeBuild ? { buildServer: { image: BuilderImage.fromCodeBuild() } } : {});
  return iamStatements(Template.fromStack(stack).toJSON() as TemplateJson);
}

describe('IAM review: builder image built in the account (BuilderImage.fromCodeBuild)', () => {
  const withCodeBuild = statements(true);

  test('on Resource * nothing the default installation does not have (ecr:GetAuthorizationToken for docker login is there already)', () => {
    const onAnyResource = (found: ReturnType<typeof statements>) => new Set(found
      .filter(statement => statement.effect === 'Allow' && statement.resources.includes('*'))
      .flatMap(statement => statement.actions));
    const inDefault = onAnyResource(statements(false));
    expect([...onAnyResource(withCodeBuild)].filter(action => !inDefault.has(action))).toEqual([]);
    expect(inDefault).toContain('ecr:GetAuthorizationToken');
  });

  test('no action wildcards on CodeBuild, ECR or Lambda', () => {
    const wildcards = withCodeBuild.flatMap(statement => statement.actions).filter(action => /^(codebuild|ecr|lambda):.*\*/.test(action) || action === '*');
    expect(wildcards).toEqual([]);
  });
});
