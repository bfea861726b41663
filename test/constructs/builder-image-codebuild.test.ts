import { spawnSync } from 'child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { shop } from './stack-fixtures';
import { BuildServer, BuilderImage, StateTable, TrellisPipeline } from '../../src';
import { BuilderImageBuild, IMAGES_KEPT, buildCommands, officialBaseImages } from '../../src/constructs/private/codebuild-image';
import { NO_DOCKER_WARNING, dockerClientFound } from '../../src/constructs/private/docker-asset-image';

const BUILDER_ASSETS = path.join(__dirname, '../../assets/builder');
const ENV = { account: '111122223333', region: 'eu-west-1' };

interface Synthesized {
  readonly app: App;
  readonly stack: Stack;
  readonly template: Template;
  /** The stack's asset manifest (TestStack.assets.json). */
  readonly manifest: any;
  readonly assemblyDirectory: string;
}

function synthesize(configure: (stack: Stack) => void): Synthesized {
  const app = new App();
  const stack = new Stack(app, 'TestStack', { env: ENV });
  configure(stack);
  const assembly = app.synth();
  const manifest = JSON.parse(readFileSync(path.join(assembly.directory, 'TestStack.assets.json'), 'utf8'));
  return { app, stack, template: Template.fromStack(stack), manifest, assemblyDirectory: assembly.directory };
}

function pipelineWith(image?: BuilderImage): Synthesized {
  return synthesize(stack => new TrellisPipeline(stack, 'Trellis', { applications: [shop], installationName: 'acme', buildServer: { image } }));
}

function buildServerWith(image: BuilderImage): Synthesized {
  return synthesize(stack => new BuildServer(stack, 'Build', {
    table: new StateTable(stack, 'Table'),
    queue: new sqs.Queue(stack, 'Queue'),
    installationName: 'acme',
    image,
  }));
}

function only(template: Template, type: string): [string, any] {
  const resources = Object.entries(template.findResources(type));
  expect(resources).toHaveLength(1);
  return resources[0];
}

/** Statements of the policies attached to the role `roleLogicalId`. */
function roleStatements(template: Template, roleLogicalId: string): any[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy: any) => policy.Properties.Roles.some((role: any) => role.Ref === roleLogicalId))
    .flatMap((policy: any) => policy.Properties.PolicyDocument.Statement);
}

function functionRole(template: Template, description: RegExp): string {
  const [, fn] = Object.entries(template.findResources('AWS::Lambda::Function')).find(([, candidate]: [string, any]) =>
    description.test(candidate.Properties.Description ?? '')) as [string, any];
  return fn.Properties.Role['Fn::GetAtt'][0];
}

describe('BuilderImage.fromCodeBuild', () => {
  let byCodeBuild: Synthesized;
  beforeAll(() => {
    byCodeBuild = buildServerWith(BuilderImage.fromCodeBuild());
  });

  test('cdk deploy needs no Docker: a pipeline using it has no Docker image asset; with fromAsset (the default) it has one', () => {
    const withCodeBuild = pipelineWith(BuilderImage.fromCodeBuild());
    expect(withCodeBuild.manifest.dockerImages ?? {}).toEqual({});
    expect(Object.keys(pipelineWith().manifest.dockerImages)).toHaveLength(1);
    expect(Object.keys(pipelineWith(BuilderImage.fromAsset()).manifest.dockerImages)).toHaveLength(1);
  });

  test('the build context goes up as a zip file asset of the shipped Dockerfile and builder, and its hash is the image tag', () => {
    const { manifest, assemblyDirectory, template } = byCodeBuild;
    const contexts = Object.entries(manifest.files as Record<string, any>).filter(([, asset]) => {
      try {
        readFileSync(path.join(assemblyDirectory, asset.source.path, 'Dockerfile'));
        return true;
      } catch {
        return false;
      }
    });
    expect(contexts).toHaveLength(1);
    const [hash, asset] = contexts[0];
    expect(asset.source.packaging).toBe('zip');
    for (const file of ['Dockerfile', 'builder.js']) {
      expect(readFileSync(path.join(assemblyDirectory, asset.source.path, file))).toEqual(readFileSync(path.join(BUILDER_ASSETS, file)));
    }
    const [, project] = only(template, 'AWS::CodeBuild::Project');
    expect(project.Properties.Source).toEqual(expect.objectContaining({ Type: 'S3', Location: expect.stringContaining(`/${hash}.zip`) }));
    const [, image] = only(template, 'Custom::TrellisBuilderImage');
    expect(image.Properties.ImageTag).toBe(hash);
  });

  test('a privileged CodeBuild project on a standard x86_64 Linux image builds for linux/amd64 and pushes to its repository', () => {
    const [, project] = only(byCodeBuild.template, 'AWS::CodeBuild::Project');
    const [repositoryId] = only(byCodeBuild.template, 'AWS::ECR::Repository');
    expect(project.Properties.Environment).toEqual(expect.objectContaining({
      Type: 'LINUX_CONTAINER',
      Image: expect.stringMatching(/^aws\/codebuild\/standard:/),
      PrivilegedMode: true,
      ComputeType: 'BUILD_GENERAL1_SMALL',
    }));
    const variables = Object.fromEntries(project.Properties.Environment.EnvironmentVariables.map((v: any) => [v.Name, v.Value]));
    expect(variables.REPOSITORY_NAME).toEqual({ Ref: repositoryId });
    expect(JSON.stringify(variables.REPOSITORY_URI)).toContain(repositoryId);
    const buildSpec = JSON.parse(project.Properties.Source.BuildSpec);
    const commands: string = buildSpec.phases.build.commands.join('\n');
    expect(commands).toContain('docker build --platform linux/amd64 --tag "$REPOSITORY_URI:$IMAGE_TAG" .');
    expect(commands).toContain('docker push "$REPOSITORY_URI:$IMAGE_TAG"');
    // Its logs go to a log group of its own, kept a month by default.
    const groupId = project.Properties.LogsConfig.CloudWatchLogs.GroupName.Ref;
    expect(byCodeBuild.template.findResources('AWS::Logs::LogGroup')[groupId].Properties.RetentionInDays).toBe(30);
    expect(project.Properties.TimeoutInMinutes).toBeLessThan(60);
  });

  test('the repository: scanned on push, immutable tags, the newest few images kept, removed with the stack even when not empty', () => {
    const [, repository] = only(byCodeBuild.template, 'AWS::ECR::Repository');
    expect(repository.Properties.ImageScanningConfiguration).toEqual({ ScanOnPush: true });
    expect(repository.Properties.ImageTagMutability).toBe('IMMUTABLE');
    expect(repository.Properties.EmptyOnDelete).toBe(true);
    expect(repository.DeletionPolicy).toBe('Delete');
    const lifecycle = JSON.parse(repository.Properties.LifecyclePolicy.LifecyclePolicyText);
    expect(lifecycle.rules).toEqual([expect.objectContaining({
      selection: expect.objectContaining({ tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: IMAGES_KEPT }),
      action: { type: 'expire' },
    })]);
  });

  test('least privilege: the project pushes only to its repository; the handlers start and read only that project\'s builds', () => {
    const { template } = byCodeBuild;
    const [repositoryId] = only(template, 'AWS::ECR::Repository');
    const [projectId, project] = only(template, 'AWS::CodeBuild::Project');
    const repositoryArn = { 'Fn::GetAtt': [repositoryId, 'Arn'] };
    const projectArn = { 'Fn::GetAtt': [projectId, 'Arn'] };

    const projectStatements = roleStatements(template, project.Properties.ServiceRole['Fn::GetAtt'][0]);
    const ecrStatements = projectStatements.filter(s => JSON.stringify(s.Action).includes('ecr:'));
    for (const statement of ecrStatements) {
      if (statement.Action === 'ecr:GetAuthorizationToken') {
        expect(statement.Resource).toBe('*'); // docker login: no resource-level permissions
      } else {
        expect(statement.Resource).toEqual(repositoryArn);
      }
    }
    expect(ecrStatements.flatMap(s => [s.Action].flat())).toEqual(expect.arrayContaining(['ecr:PutImage', 'ecr:InitiateLayerUpload', 'ecr:DescribeImages']));
    expect(projectStatements.flatMap(s => [s.Action].flat()).filter((action: string) => action.startsWith('codebuild:StartBuild'))).toEqual([]);

    // Nothing of the image build is granted on Resource * but docker login's token.
    const onAnyResource = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.includes('ImageBuild'))
      .flatMap(([, policy]: [string, any]) => policy.Properties.PolicyDocument.Statement)
      .filter((statement: any) => [statement.Resource].flat().includes('*'))
      .flatMap((statement: any) => [statement.Action].flat());
    expect(onAnyResource).toEqual(['ecr:GetAuthorizationToken']);

    const start = roleStatements(template, functionRole(template, /starts the builder image build/));
    expect(start).toEqual([expect.objectContaining({ Action: 'codebuild:StartBuild', Resource: projectArn })]);
    const status = roleStatements(template, functionRole(template, /waits for the builder image build/));
    expect(status).toEqual([expect.objectContaining({ Action: 'codebuild:BatchGetBuilds', Resource: projectArn })]);
  });

  test('the task definition reads the image from the custom resource (repository:hash), so it waits for the build; the execution role pulls from that repository', () => {
    const { template } = byCodeBuild;
    const [imageId, image] = only(template, 'Custom::TrellisBuilderImage');
    const [repositoryId] = only(template, 'AWS::ECR::Repository');
    const [projectId, project] = only(template, 'AWS::CodeBuild::Project');
    const [, taskDefinition] = only(template, 'AWS::ECS::TaskDefinition');
    expect(taskDefinition.Properties.ContainerDefinitions[0].Image).toEqual({ 'Fn::GetAtt': [imageId, 'ImageUri'] });

    expect(image.Properties.ProjectName).toEqual({ Ref: projectId });
    expect(JSON.stringify(image.Properties.RepositoryUri)).toContain(repositoryId);
    expect(image.Properties.ImageTag).toMatch(/^[0-9a-f]{64}$/);
    // The first build must not start before the project's role may push.
    const projectRole = project.Properties.ServiceRole['Fn::GetAtt'][0];
    const projectPolicy = Object.entries(template.findResources('AWS::IAM::Policy'))
      .find(([, policy]: [string, any]) => policy.Properties.Roles.some((role: any) => role.Ref === projectRole))![0];
    expect(image.DependsOn).toEqual(expect.arrayContaining([projectId, projectPolicy]));
    // The Provider framework waits (isComplete) for the build.
    only(template, 'AWS::StepFunctions::StateMachine');

    const executionRole = taskDefinition.Properties.ExecutionRoleArn['Fn::GetAtt'][0];
    const pull = roleStatements(template, executionRole).find(s => JSON.stringify(s.Action).includes('ecr:BatchGetImage'));
    expect(pull.Resource).toEqual({ 'Fn::GetAtt': [repositoryId, 'Arn'] });
    // Nothing from the bootstrap's Docker asset repository.
    expect(JSON.stringify(taskDefinition)).not.toContain('container-assets');
  });

  test('computeType and logRetention are applied', () => {
    const image = BuilderImage.fromCodeBuild({ computeType: codebuild.ComputeType.MEDIUM, logRetention: logs.RetentionDays.ONE_WEEK });
    const { template } = buildServerWith(image);
    const [, project] = only(template, 'AWS::CodeBuild::Project');
    expect(project.Properties.Environment.ComputeType).toBe('BUILD_GENERAL1_MEDIUM');
    const groupId = project.Properties.LogsConfig.CloudWatchLogs.GroupName.Ref;
    expect(template.findResources('AWS::Logs::LogGroup')[groupId].Properties.RetentionInDays).toBe(7);
    const imageBuildGroups = Object.entries(template.findResources('AWS::Logs::LogGroup')).filter(([id]) => id.includes('ImageBuild'));
    expect(imageBuildGroups).toHaveLength(4); // the build's, the start and status functions', the Provider framework's
    for (const [, group] of imageBuildGroups) expect((group as any).Properties.RetentionInDays).toBe(7);
  });
});

describe('the image tag follows the build context\'s content', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(path.join(tmpdir(), 'builder-context-'));
    writeFileSync(path.join(directory, 'Dockerfile'), 'FROM node:22-bookworm-slim\nCOPY builder.js /opt/trellis/builder.js\n');
    writeFileSync(path.join(directory, 'builder.js'), 'console.log(1);\n');
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  function tagOf(): string {
    const stack = new Stack(new App(), 'TestStack', { env: ENV });
    const build = new BuilderImageBuild(stack, 'ImageBuild', { directory });
    const [, image] = only(Template.fromStack(stack), 'Custom::TrellisBuilderImage');
    expect(image.Properties.ImageTag).toBe(stack.resolve(build.imageTag));
    return image.Properties.ImageTag;
  }

  test('same content, same tag (no build, no task definition change); changed content, new tag', () => {
    const first = tagOf();
    expect(tagOf()).toBe(first);
    writeFileSync(path.join(directory, 'builder.js'), 'console.log(2);\n');
    const second = tagOf();
    expect(second).not.toBe(first);
    writeFileSync(path.join(directory, 'Dockerfile'), 'FROM node:22-bookworm-slim\nRUN true\n');
    expect(tagOf()).not.toBe(second);
    // A copy of the same content elsewhere has the same tag.
    const copy = mkdtempSync(path.join(tmpdir(), 'builder-context-'));
    try {
      cpSync(directory, copy, { recursive: true });
      const original = tagOf();
      const saved = directory;
      directory = copy;
      expect(tagOf()).toBe(original);
      directory = saved;
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

describe('the build command (run in bash with stand-ins for aws and docker)', () => {
  const REPOSITORY_URI = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/builders';
  const TAG = 'f'.repeat(64);
  /** ECR answers that the tag is not in the repository. */
  const NOT_THERE = '^aws ecr describe-images';
  let bin: string;
  let calls: string;
  beforeEach(() => {
    bin = mkdtempSync(path.join(tmpdir(), 'image-build-bin-'));
    calls = path.join(bin, 'calls.log');
    // Each stand-in records its command line and fails when that line matches $FAIL (a bash regex).
    for (const tool of ['aws', 'docker']) {
      writeFileSync(path.join(bin, tool), [
        '#!/bin/bash',
        `echo "${tool} $*" >> "${calls}"`,
        `if [[ -n "$FAIL" && "${tool} $*" =~ $FAIL ]]; then exit 1; fi`,
        '',
      ].join('\n'));
      chmodSync(path.join(bin, tool), 0o755);
    }
  });
  afterEach(() => rmSync(bin, { recursive: true, force: true }));

  /** Runs the build command; the stand-in calls matching one of `failing` fail. */
  function run(failing: string[], dockerfile = 'FROM node:22-bookworm-slim\n'): { status: number | null; calls: string[] } {
    rmSync(calls, { force: true });
    const result = spawnSync('bash', ['-c', buildCommands(dockerfile).join('\n')], {
      env: { PATH: `${bin}:/usr/bin:/bin`, REPOSITORY_URI, REPOSITORY_NAME: 'builders', IMAGE_TAG: TAG, FAIL: failing.join('|') },
      encoding: 'utf8',
    });
    let log = '';
    try {
      log = readFileSync(calls, 'utf8');
    } catch {
      // nothing ran
    }
    return { status: result.status, calls: log.split('\n').filter(Boolean) };
  }

  test('the tag not in the repository: log in to the registry, mirror the base image, build for linux/amd64, push', () => {
    const { status, calls: ran } = run([NOT_THERE]);
    expect(status).toBe(0);
    // The token and the login are one pipeline: their two lines come in either order.
    expect([...ran.slice(1, 3)].sort()).toEqual([
      'aws ecr get-login-password',
      'docker login --username AWS --password-stdin 111122223333.dkr.ecr.eu-west-1.amazonaws.com',
    ]);
    expect([ran[0], ...ran.slice(3)]).toEqual([
      `aws ecr describe-images --repository-name builders --image-ids imageTag=${TAG}`,
      'docker pull public.ecr.aws/docker/library/node:22-bookworm-slim',
      'docker tag public.ecr.aws/docker/library/node:22-bookworm-slim node:22-bookworm-slim',
      `docker build --platform linux/amd64 --tag ${REPOSITORY_URI}:${TAG} .`,
      `docker push ${REPOSITORY_URI}:${TAG}`,
    ]);
  });

  test('the tag already in the repository (a redeploy, a rollback): nothing is built or pushed', () => {
    const { status, calls: ran } = run([]);
    expect(status).toBe(0);
    expect(ran).toEqual([`aws ecr describe-images --repository-name builders --image-ids imageTag=${TAG}`]);
  });

  test('a failing docker build fails the build and pushes nothing', () => {
    const { status, calls: ran } = run([NOT_THERE, '^docker build']);
    expect(status).not.toBe(0);
    expect(ran.some(call => call.startsWith('docker build'))).toBe(true);
    expect(ran.some(call => call.startsWith('docker push'))).toBe(false);
  });

  test('a failed login builds nothing; a failed push fails the build', () => {
    for (const step of ['^aws ecr get-login-password', '^docker login']) {
      const login = run([NOT_THERE, step]);
      expect(login.status).not.toBe(0);
      expect(login.calls.some(call => call.startsWith('docker build'))).toBe(false);
    }
    const push = run([NOT_THERE, '^docker push']);
    expect(push.status).not.toBe(0);
    expect(push.calls).toContain(`docker push ${REPOSITORY_URI}:${TAG}`);
  });

  test('the mirror is best effort: when its pull fails, docker build still runs (and pulls from Docker Hub itself)', () => {
    const { status, calls: ran } = run([NOT_THERE, '^docker pull']);
    expect(status).toBe(0);
    expect(ran).not.toContain('docker tag public.ecr.aws/docker/library/node:22-bookworm-slim node:22-bookworm-slim');
    expect(ran).toContain(`docker push ${REPOSITORY_URI}:${TAG}`);
  });
});

describe('officialBaseImages: the Docker Hub official images a Dockerfile starts FROM', () => {
  test.each([
    ['FROM node:22-bookworm-slim\nRUN true\n', ['node:22-bookworm-slim']],
    ['FROM node\n', ['node']],
    ['from library/python:3.12-slim as py\nFROM py\nCOPY --from=py /x /x\n', ['python:3.12-slim']],
    ['FROM --platform=linux/amd64 golang:1.23 AS build\nFROM debian:bookworm-slim\nCOPY --from=build /go /go\n', ['golang:1.23', 'debian:bookworm-slim']],
    ['FROM ghcr.io/acme/base:1\nFROM acme/base\nFROM node@sha256:' + 'a'.repeat(64) + '\nFROM ${BASE}\n', []],
    ['# FROM node:20 (a comment)\nFROM node:22\nFROM node:22 AS again\n', ['node:22']],
  ])('%j', (dockerfile, expected) => {
    expect(officialBaseImages(dockerfile)).toEqual(expected);
  });

  test('the shipped Dockerfile\'s base image is mirrored', () => {
    const dockerfile = readFileSync(path.join(BUILDER_ASSETS, 'Dockerfile'), 'utf8');
    expect(officialBaseImages(dockerfile).length).toBeGreaterThan(0);
    expect(buildCommands(dockerfile)[0]).toContain(`docker pull "public.ecr.aws/docker/library/${officialBaseImages(dockerfile)[0]}"`);
  });
});

describe('fromAsset says at synthesis when no Docker client is found (cdk deploy would fail)', () => {
  let bin: string;
  const saved = { PATH: process.env.PATH, CDK_DOCKER: process.env.CDK_DOCKER };
  beforeEach(() => {
    bin = mkdtempSync(path.join(tmpdir(), 'docker-bin-'));
  });
  afterEach(() => {
    process.env.PATH = saved.PATH;
    if (saved.CDK_DOCKER === undefined) delete process.env.CDK_DOCKER;
    else process.env.CDK_DOCKER = saved.CDK_DOCKER;
    rmSync(bin, { recursive: true, force: true });
  });

  function executable(name: string): string {
    const file = path.join(bin, name);
    writeFileSync(file, '#!/bin/sh\n');
    chmodSync(file, 0o755);
    return file;
  }

  function warnings(image: () => BuilderImage | undefined, env: { PATH: string; CDK_DOCKER?: string }): any[] {
    process.env.PATH = env.PATH;
    if (env.CDK_DOCKER === undefined) delete process.env.CDK_DOCKER;
    else process.env.CDK_DOCKER = env.CDK_DOCKER;
    const stack = new Stack(new App(), 'TestStack', { env: ENV });
    new BuildServer(stack, 'Build', { table: new StateTable(stack, 'Table'), queue: new sqs.Queue(stack, 'Queue'), installationName: 'acme', image: image() });
    return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('builder image'));
  }

  test('no docker on PATH: a warning on the builder container that names fromCodeBuild and can be acknowledged; the default and fromAsset alike', () => {
    for (const image of [() => undefined, () => BuilderImage.fromAsset()]) {
      const found = warnings(image, { PATH: bin });
      expect(found).toHaveLength(1);
      expect(found[0].id).toBe('/TestStack/Build/TaskDefinition/builder');
      expect(found[0].entry.data).toContain('BuilderImage.fromCodeBuild()');
      expect(found[0].entry.data).toContain(`[ack: ${NO_DOCKER_WARNING}]`);
    }
  });

  test('docker on PATH, or CDK_DOCKER naming a client that exists: no warning', () => {
    executable('docker');
    expect(warnings(() => undefined, { PATH: `/nonexistent${path.delimiter}${bin}` })).toEqual([]);
    const finch = executable('finch');
    expect(warnings(() => undefined, { PATH: '/nonexistent', CDK_DOCKER: finch })).toEqual([]);
    expect(warnings(() => undefined, { PATH: bin, CDK_DOCKER: 'finch' })).toEqual([]);
  });

  test('CDK_DOCKER naming a client that is not there: the warning names it', () => {
    executable('docker');
    const found = warnings(() => undefined, { PATH: bin, CDK_DOCKER: 'podman' });
    expect(found).toHaveLength(1);
    expect(found[0].entry.data).toContain('no \'podman\' is on this machine\'s PATH');
  });

  test('fromCodeBuild never needs Docker: no warning without it', () => {
    expect(warnings(() => BuilderImage.fromCodeBuild(), { PATH: bin })).toEqual([]);
  });

  test.each([
    [{ PATH: '' }, false],
    [{ PATH: undefined }, false],
    [{ PATH: '/usr/local/bin:/usr/bin:/bin', CDK_DOCKER: '/definitely/not/here/docker' }, false],
    [{ PATH: '::/nonexistent:' }, false],
  ])('dockerClientFound(%j) is %s', (env, expected) => {
    expect(dockerClientFound(env as NodeJS.ProcessEnv)).toBe(expected);
  });
});
