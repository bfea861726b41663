import { readFileSync } from 'fs';
import * as path from 'path';
import { ArnFormat, CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { LAMBDA_BASIC_EXECUTION, acknowledge } from './acknowledge';
import { trellisLogGroup } from './log-groups';
import { IMAGE_TAG_VARIABLE, ImageBuildData, ImageBuildProperties } from '../../contract/image-build-resource';
import { ImageBuildStartFunction } from '../../runtime/image-build/image-build-start-function';
import { ImageBuildStatusFunction } from '../../runtime/image-build/image-build-status-function';
import type { BuilderImageCodeBuildOptions } from '../builder-image';

/** Images kept in the repository: the one in use and a few before it, for rollbacks of the stack. */
export const IMAGES_KEPT = 5;
/** A build longer than this fails (the image takes a few minutes). */
const BUILD_TIMEOUT = Duration.minutes(40);
/** How long a build may wait for CodeBuild capacity. */
const QUEUED_TIMEOUT = Duration.minutes(15);
/** The custom resource gives up after this; longer than a queued and running build together. */
const TOTAL_TIMEOUT = Duration.minutes(60);

/**
 * The builder image built inside the account at deploy time: the Dockerfile's folder goes up as a
 * plain S3 asset (a zip, no Docker on the deploying machine), a privileged CodeBuild project runs
 * `docker build` and pushes to an ECR repository of its own, and a custom resource starts that
 * build whenever the folder's content changes and waits for it. The container reads the image
 * through the custom resource, so the task definition waits for the image.
 */
export class CodeBuildContainerImage extends ecs.ContainerImage {
  constructor(private readonly directory: string, private readonly options: BuilderImageCodeBuildOptions) {
    super();
  }

  /** The same image whose logs keep `retention` unless its options chose one (the build server passes the pipeline's). */
  public withDefaultLogRetention(retention?: logs.RetentionDays): CodeBuildContainerImage {
    return new CodeBuildContainerImage(this.directory, { ...this.options, logRetention: this.options.logRetention ?? retention });
  }

  public bind(scope: Construct, containerDefinition: ecs.ContainerDefinition): ecs.ContainerImageConfig {
    const build = new BuilderImageBuild(scope, 'ImageBuild', { directory: this.directory, ...this.options });
    build.repository.grantPull(containerDefinition.taskDefinition.obtainExecutionRole());
    return { imageName: build.imageUri };
  }
}

interface BuilderImageBuildProps extends BuilderImageCodeBuildOptions {
  /** The folder with the Dockerfile (the build context). */
  readonly directory: string;
}

/** The resources behind CodeBuildContainerImage. */
export class BuilderImageBuild extends Construct {
  public readonly repository: ecr.Repository;
  public readonly project: codebuild.Project;
  /** `<repository URI>:<asset hash>`, read from the custom resource (a reference that waits for the build). */
  public readonly imageUri: string;
  /** The tag: the hash of the build context's content. */
  public readonly imageTag: string;

  constructor(scope: Construct, id: string, props: BuilderImageBuildProps) {
    super(scope, id);
    const logRetention = props.logRetention;

    const source = new s3assets.Asset(this, 'Source', { path: props.directory });
    this.imageTag = source.assetHash;

    const repository = new ecr.Repository(this, 'Repository', {
      imageScanOnPush: true,
      // One tag per content: a tag never moves to other content.
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      lifecycleRules: [{ description: `keep the ${IMAGES_KEPT} newest builder images`, maxImageCount: IMAGES_KEPT }],
      removalPolicy: RemovalPolicy.DESTROY,
      emptyOnDelete: true,
    });
    this.repository = repository;

    const project = new codebuild.Project(this, 'Project', {
      description: 'Trellis: builds the builder image (docker build of the shipped Dockerfile) and pushes it to its repository',
      source: codebuild.Source.s3({ bucket: source.bucket, path: source.s3ObjectKey }),
      environment: {
        buildImage: codebuild.LinuxBuildImage.STANDARD_7_0, // x86_64: builds run on linux/amd64
        computeType: props.computeType ?? codebuild.ComputeType.SMALL,
        privileged: true, // docker build needs the Docker daemon
      },
      environmentVariables: {
        REPOSITORY_URI: { value: repository.repositoryUri },
        REPOSITORY_NAME: { value: repository.repositoryName },
        [IMAGE_TAG_VARIABLE]: { value: this.imageTag },
      },
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        env: { shell: 'bash' },
        phases: { build: { commands: buildCommands(readFileSync(path.join(props.directory, 'Dockerfile'), 'utf8')) } },
      }),
      logging: { cloudWatch: { logGroup: trellisLogGroup(this, 'Logs', logRetention) } },
      timeout: BUILD_TIMEOUT,
      queuedTimeout: QUEUED_TIMEOUT,
      grantReportGroupPermissions: false,
    });
    this.project = project;
    // Push to its own repository only (and ask whether a tag is there already).
    repository.grantPullPush(project);
    repository.grant(project, 'ecr:DescribeImages');
    acknowledge(project, {
      CB3: 'privileged mode runs the Docker daemon that builds the builder image; the build runs only the shipped Dockerfile',
      CB4: 'the project has no artifacts (it pushes an image to ECR); its logs are CloudWatch Logs and the source is the CDK asset',
      IAM5: [
        { reason: 'ecr:GetAuthorizationToken (docker login) has no resource-level permissions; it requires Resource *', resources: ['*'] },
        {
          reason: 'Bucket.grantRead on the source asset\'s object only (codebuild.Source.s3): reads the build context',
          actions: ['s3:GetObject*', 's3:GetBucket*', 's3:List*'],
        },
        {
          reason: 'codebuild.Project\'s log streams in its default log group (/aws/codebuild/<project>), unused: its logs go to its own log group',
          resources: [`${defaultProjectLogGroup(project)}:*`],
        },
      ],
    });

    const functionProps = (name: string, description: string) => ({
      description,
      timeout: Duration.seconds(30),
      memorySize: 256,
      logGroup: trellisLogGroup(this, `${name}Logs`, logRetention),
    });
    const start = new ImageBuildStartFunction(this, 'Start', functionProps('Start', 'Trellis: starts the builder image build (custom resource onEvent)'));
    const status = new ImageBuildStatusFunction(this, 'Status', functionProps('Status', 'Trellis: waits for the builder image build (custom resource isComplete)'));
    // Start and read this project's builds only.
    start.addToRolePolicy(new iam.PolicyStatement({ actions: ['codebuild:StartBuild'], resources: [project.projectArn] }));
    status.addToRolePolicy(new iam.PolicyStatement({ actions: ['codebuild:BatchGetBuilds'], resources: [project.projectArn] }));

    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: start,
      isCompleteHandler: status,
      queryInterval: Duration.seconds(30),
      totalTimeout: TOTAL_TIMEOUT,
      logGroup: trellisLogGroup(this, 'ProviderLogs', logRetention),
    });
    const properties: ImageBuildProperties = {
      ProjectName: project.projectName,
      RepositoryUri: repository.repositoryUri,
      ImageTag: this.imageTag,
    };
    const image = new CustomResource(this, 'Image', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::TrellisBuilderImage',
      properties,
    });
    // The build pushes with the project's role: its policy must exist before the first build starts.
    image.node.addDependency(project);
    this.imageUri = image.getAttString('ImageUri' satisfies keyof ImageBuildData);

    for (const fn of [start, status]) {
      acknowledge(fn, {
        IAM4: [LAMBDA_BASIC_EXECUTION],
        L1: 'Node.js 22 is the runtime the handlers are bundled (esbuild target node22) and tested for',
      });
    }
    acknowledge(provider, {
      IAM4: [LAMBDA_BASIC_EXECUTION],
      IAM5: [{
        reason: 'the Provider framework invokes its own and the custom resource\'s functions, in any version (<function ARN>:*)',
        resources: [`${start.functionArn}:*`, `${status.functionArn}:*`],
        resourcePatterns: [/^<[A-Za-z0-9]*Providerframework(?:onEvent|isComplete|onTimeout)[A-F0-9]{8}\.Arn>:\*$/],
      }],
      L1: 'the runtime of aws-cdk-lib\'s Provider framework functions is chosen by aws-cdk-lib',
      SF1: 'the waiter state machine only calls isComplete; the framework functions log each call and result. Its logging '
        + 'would need logs:CreateLogDelivery and nine more actions on Resource *',
      SF2: 'the waiter state machine only polls the build; X-Ray tracing would add cost without insight',
    });
  }
}

/** The log group every codebuild.Project may write to (`/aws/codebuild/<project name>`). */
function defaultProjectLogGroup(project: codebuild.Project): string {
  return Stack.of(project).formatArn({
    service: 'logs',
    resource: 'log-group',
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    resourceName: `/aws/codebuild/${project.projectName}`,
  });
}

/**
 * The build's one command: nothing to do if the tag is in the repository already (a redeploy or a
 * rollback to an earlier content), else log in (pipefail: a failed token fails it), build for linux/amd64 and push. Docker Hub's
 * official base images are first pulled from their ECR Public mirror (best effort): CodeBuild's
 * shared addresses often meet Docker Hub's anonymous pull limit, and the build uses the local copy.
 */
export function buildCommands(dockerfile: string): string[] {
  const mirrored = officialBaseImages(dockerfile).map(name => {
    const mirror = `public.ecr.aws/docker/library/${name}`;
    return `{ docker pull "${mirror}" && docker tag "${mirror}" "${name}" || true; } && `;
  }).join('');
  return [
    'set -o pipefail; if aws ecr describe-images --repository-name "$REPOSITORY_NAME" --image-ids imageTag="$IMAGE_TAG" > /dev/null 2>&1; '
    + 'then echo "$REPOSITORY_URI:$IMAGE_TAG is in the repository already"; '
    + 'else aws ecr get-login-password | docker login --username AWS --password-stdin "${REPOSITORY_URI%%/*}" && '
    + mirrored
    + 'docker build --platform linux/amd64 --tag "$REPOSITORY_URI:$IMAGE_TAG" . && docker push "$REPOSITORY_URI:$IMAGE_TAG"; fi',
  ];
}

// An official Docker Hub image: one lower-case path component (or library/<name>) with an
// optional tag; no registry, no digest, no variable.
const OFFICIAL_IMAGE = /^(?:library\/)?([a-z0-9]+(?:[._-][a-z0-9]+)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?)$/;
const FROM = /^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i;

/** The official Docker Hub images the Dockerfile's stages start FROM (as `name[:tag]`), not its own stages. */
export function officialBaseImages(dockerfile: string): string[] {
  const names = new Set<string>();
  const stages = new Set<string>();
  for (const line of dockerfile.split('\n')) {
    const from = FROM.exec(line);
    if (!from) continue;
    const official = OFFICIAL_IMAGE.exec(from[1]);
    if (official && !stages.has(from[1].toLowerCase())) names.add(official[1]);
    if (from[2]) stages.add(from[2].toLowerCase());
  }
  return [...names];
}
