import { readFileSync } from 'fs';
import * as path from 'path';
import { App, Lazy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { shop } from './stack-fixtures';
import { BuildServer, BuilderImage, StateTable, TrellisPipeline } from '../../src';

const BUILDER_ASSETS = path.join(__dirname, '../../assets/builder');
const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

/** A build server alone (no webhook, logs or dashboard): the part the image changes. */
function buildServer(image?: BuilderImage, configure?: (stack: Stack) => BuilderImage) {
  const app = new App();
  const stack = new Stack(app, 'TestStack', { env: { account: '111122223333', region: 'eu-west-1' } });
  new BuildServer(stack, 'Build', {
    table: new StateTable(stack, 'Table'),
    queue: new sqs.Queue(stack, 'Queue'),
    installationName: 'acme',
    image: configure ? configure(stack) : image,
  });
  return { app, stack, template: Template.fromStack(stack) };
}

function builderContainer(template: Template): any {
  const [taskDefinition] = Object.values(template.findResources('AWS::ECS::TaskDefinition')) as any[];
  const containers = taskDefinition.Properties.ContainerDefinitions;
  expect(containers).toHaveLength(1);
  expect(containers[0].Name).toBe('builder');
  return containers[0];
}

/** Statements of the policies attached to the task definition's execution role. */
function executionRoleStatements(template: Template): any[] {
  const [taskDefinition] = Object.values(template.findResources('AWS::ECS::TaskDefinition')) as any[];
  const executionRole = taskDefinition.Properties.ExecutionRoleArn['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy: any) => policy.Properties.Roles.some((role: any) => role.Ref === executionRole))
    .flatMap((policy: any) => policy.Properties.PolicyDocument.Statement);
}

/** The Docker image assets of the synthesized stack: the folders staged for `docker build`. */
function dockerImageAssets(app: App): Array<{ directory: string; hash: string }> {
  const assembly = app.synth();
  const manifest = JSON.parse(readFileSync(path.join(assembly.directory, 'TestStack.assets.json'), 'utf8'));
  return Object.entries(manifest.dockerImages ?? {}).map(([hash, asset]: [string, any]) => ({
    hash,
    directory: path.join(assembly.directory, asset.source.directory),
  }));
}

describe('BuilderImage', () => {
  test('by default builds run in the image built from the shipped Dockerfile and builder (assets/builder); fromAsset() is that default', () => {
    const byDefault = buildServer();
    const [asset] = dockerImageAssets(byDefault.app);
    expect(dockerImageAssets(byDefault.app)).toHaveLength(1);
    for (const file of ['Dockerfile', 'builder.js']) {
      expect(readFileSync(path.join(asset.directory, file))).toEqual(readFileSync(path.join(BUILDER_ASSETS, file)));
    }
    expect(JSON.stringify(builderContainer(byDefault.template).Image)).toContain(`:${asset.hash}`);
    // Pull from the bootstrap's asset repository only; no registry credentials.
    expect(builderContainer(byDefault.template).RepositoryCredentials).toBeUndefined();

    const explicit = buildServer(BuilderImage.fromAsset());
    expect(explicit.template.toJSON()).toEqual(byDefault.template.toJSON());
  });

  test('fromRegistry: the name reaches the container as is; credentials become its repository credentials, readable by the execution role only', () => {
    const name = 'ghcr.io/acme/trellis-builder:1.4.0-go1.23';
    const app = new App();
    const stack = new Stack(app, 'TestStack', { env: { account: '111122223333', region: 'eu-west-1' } });
    const credentials = new secretsmanager.Secret(stack, 'RegistryCredentials');
    // Through TrellisPipeline: `image` is a known key of buildServer.
    new TrellisPipeline(stack, 'Trellis', {
      applications: [shop],
      installationName: 'acme',
      buildServer: { image: BuilderImage.fromRegistry(name, { credentials }) },
    });
    const template = Template.fromStack(stack);
    const container = builderContainer(template);
    expect(container.Image).toBe(name);
    const secretRef = { Ref: stack.getLogicalId(credentials.node.defaultChild as any) };
    expect(container.RepositoryCredentials).toEqual({ CredentialsParameter: secretRef });

    const reads = executionRoleStatements(template).filter(s => JSON.stringify(s.Action).includes('secretsmanager:'));
    expect(reads).toEqual([expect.objectContaining({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: secretRef })]);
    // Nothing to build, nothing from ECR.
    expect(dockerImageAssets(app)).toEqual([]);
    expect(executionRoleStatements(template).filter(s => JSON.stringify(s.Action).includes('ecr:'))).toEqual([]);
    // The build roles never read the registry's credentials.
    const buildRolePolicies = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy: any) => policy.Properties.Roles.some((role: any) => role.Ref?.startsWith('TrellisBuildEnvironmentRoles')));
    expect(buildRolePolicies.length).toBeGreaterThan(0);
    expect(JSON.stringify(buildRolePolicies)).not.toContain(secretRef.Ref);
  });

  test('fromRegistry without credentials: a public image by name, no Docker asset and no secret', () => {
    const { app, template } = buildServer(BuilderImage.fromRegistry('acme/trellis-builder'));
    expect(builderContainer(template).Image).toBe('acme/trellis-builder');
    expect(builderContainer(template).RepositoryCredentials).toBeUndefined();
    expect(dockerImageAssets(app)).toEqual([]);
    expect(JSON.stringify(executionRoleStatements(template))).not.toContain('secretsmanager:');
  });

  test('fromEcrRepository: the repository URI with the tag (or digest, or latest), and pull from that repository on the execution role', () => {
    const cases: Array<[string | undefined, string]> = [['trellis-1.4.0-go1.23', ':trellis-1.4.0-go1.23'], [undefined, ':latest'], [DIGEST, `@${DIGEST}`]];
    for (const [tag, suffix] of cases) {
      const { app, template } = buildServer(undefined, stack => BuilderImage.fromEcrRepository(new ecr.Repository(stack, 'Builders'), tag));
      const image = JSON.stringify(builderContainer(template).Image);
      expect(image).toContain('Builders');
      expect(image).toContain(`${suffix}"`);
      expect(dockerImageAssets(app)).toEqual([]);

      const statements = executionRoleStatements(template);
      const pull = statements.find(s => JSON.stringify(s.Action).includes('ecr:BatchGetImage'));
      expect(pull.Action).toEqual(expect.arrayContaining(['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage']));
      expect(pull.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Builders/), 'Arn'] });
      expect(statements).toContainEqual(expect.objectContaining({ Action: 'ecr:GetAuthorizationToken', Resource: '*' }));
    }
  });

  test('image references Docker accepts are accepted: registries with ports, nested paths, tags, digests', () => {
    for (const name of [
      'ubuntu', 'acme/builder', 'public.ecr.aws/acme/builder:latest', 'localhost:5000/builder', 'registry.example.com:8443/team/sub/builder:v1.2_rc-3',
      `acme/builder@${DIGEST}`, `acme/builder:1.0@${DIGEST}`, 'my-registry.io/a__b/c.d/e--f:TAG_1', '111122223333.dkr.ecr.eu-west-1.amazonaws.com/builder:go',
    ]) {
      expect(() => BuilderImage.fromRegistry(name)).not.toThrow();
    }
  });

  test.each([
    ['', /^BuilderImage\.fromRegistry: name must not be empty$/],
    ['Acme/Builder', /name 'Acme\/Builder' is not an image reference/],
    ['acme builder', /name 'acme builder' is not an image reference/],
    ['acme/builder:', /name 'acme\/builder:' is not an image reference/],
    ['acme/builder:bad tag', /name 'acme\/builder:bad tag'/],
    ['acme/builder:-dash', /name 'acme\/builder:-dash'/],
    ['acme//builder', /name 'acme\/\/builder'/],
    ['acme/builder@sha256:xyz', /name 'acme\/builder@sha256:xyz'/],
    ['https://ghcr.io/acme/builder', /name 'https:\/\/ghcr\.io\/acme\/builder'/],
    ['acme/builder\n; rm -rf /', /name 'acme\/builder\?; rm -rf \/' is not an image reference/],
    [`acme/${'b'.repeat(300)}`, /name 'acme\/b+\.\.\.' is not an image reference/],
  ])('fromRegistry(%j) is refused naming the field', (name, message) => {
    expect(() => BuilderImage.fromRegistry(name)).toThrow(message);
  });

  test.each([
    ['', /^BuilderImage\.fromEcrRepository: tag '' is neither a tag/],
    ['has space', /tag 'has space' is neither/],
    ['-leading-dash', /tag '-leading-dash' is neither/],
    ['.leading-dot', /tag '\.leading-dot' is neither/],
    ['a:b', /tag 'a:b' is neither/],
    ['x'.repeat(129), /tag 'x+\.\.\.' is neither/],
    ['sha256:not-hex', /tag 'sha256:not-hex' is neither/],
    ['v1\u0000', /tag 'v1\?' is neither/],
  ])('fromEcrRepository(repository, %j) is refused naming the field', (tag, message) => {
    const repository = ecr.Repository.fromRepositoryName(new Stack(), 'Builders', 'builders');
    expect(() => BuilderImage.fromEcrRepository(repository, tag)).toThrow(message);
  });

  test('tokens are not validated at synth (their values are known at deploy)', () => {
    const repository = ecr.Repository.fromRepositoryName(new Stack(), 'Builders', 'builders');
    expect(() => BuilderImage.fromRegistry(Lazy.string({ produce: () => 'Not A Name' }))).not.toThrow();
    expect(() => BuilderImage.fromRegistry(`${Lazy.string({ produce: () => 'ghcr.io' })}/acme/builder`)).not.toThrow();
    expect(() => BuilderImage.fromEcrRepository(repository, Lazy.string({ produce: () => 'v1' }))).not.toThrow();
  });
});
