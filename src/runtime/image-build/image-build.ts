/**
 * The builder image built in the account (BuilderImage.fromCodeBuild): a CloudFormation custom
 * resource, run by aws-cdk-lib's Provider framework, whose Create and Update start one CodeBuild
 * build of the image (tag = the source asset's hash) and whose isComplete waits for it. A failed
 * build fails the deployment with the build's own reason and a link to its log.
 *
 * No AWS SDK here: the handlers (image-build-start.lambda.ts, image-build-status.lambda.ts) pass a
 * CodeBuild client; tests pass a fake.
 */
import { IMAGE_TAG_VARIABLE, ImageBuildData, ImageBuildProperties } from '../../contract/image-build-resource';

/** The part of CodeBuild the custom resource uses (SDK v3 request and response shapes). */
export interface ImageBuildCodeBuild {
  startBuild(input: {
    projectName: string;
    environmentVariablesOverride: Array<{ name: string; value: string; type: 'PLAINTEXT' }>;
  }): Promise<{ build?: { id?: string } }>;
  batchGetBuilds(input: { ids: string[] }): Promise<{ builds?: BuildView[]; buildsNotFound?: string[] }>;
}

/** The fields of a CodeBuild build that decide and explain its outcome. */
export interface BuildView {
  readonly id?: string;
  readonly buildStatus?: string;
  readonly phases?: ReadonlyArray<{
    readonly phaseType?: string;
    readonly phaseStatus?: string;
    readonly contexts?: ReadonlyArray<{ readonly statusCode?: string; readonly message?: string }>;
  }>;
  readonly logs?: { readonly deepLink?: string };
}

interface ResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Record<string, unknown>;
}

interface CompletionEvent extends ResourceEvent {
  readonly Data?: Record<string, unknown>;
}

export interface StartResult {
  readonly PhysicalResourceId: string;
  readonly Data?: ImageBuildData;
}

export interface CompletionResult {
  readonly IsComplete: boolean;
}

// Docker's tag grammar; the construct passes the asset hash (64 hex digits).
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
// An ECR repository URI: <account>.dkr.ecr.<region>.<suffix>/<name>.
const REPOSITORY_URI = /^[a-z0-9.-]+(?::[0-9]+)?\/[a-z0-9]+(?:[._/-]+[a-z0-9]+)*$/;
const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{1,254}$/;

/** Create and Update start a build of the tag; Delete leaves the images (the repository goes with the stack). */
export async function startImageBuild(event: ResourceEvent, codebuild: ImageBuildCodeBuild): Promise<StartResult> {
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId! };
  const properties = readProperties(event.ResourceProperties);
  const imageUri = `${properties.RepositoryUri}:${properties.ImageTag}`;
  const started = await codebuild.startBuild({
    projectName: properties.ProjectName,
    environmentVariablesOverride: [{ name: IMAGE_TAG_VARIABLE, value: properties.ImageTag, type: 'PLAINTEXT' }],
  });
  const buildId = started.build?.id;
  if (!buildId) throw new Error(`CodeBuild started no build of project ${properties.ProjectName}`);
  // One physical id per image: a new tag replaces the resource (the old one's Delete does nothing).
  return { PhysicalResourceId: imageUri, Data: { ImageUri: imageUri, BuildId: buildId } };
}

/**
 * Done when the build succeeded; not yet while it is queued or runs; an error (the deployment's
 * failure reason) when it failed, stopped, timed out or cannot be found.
 */
export async function imageBuildComplete(event: CompletionEvent, codebuild: ImageBuildCodeBuild): Promise<CompletionResult> {
  if (event.RequestType === 'Delete') return { IsComplete: true };
  const buildId = event.Data?.BuildId;
  if (typeof buildId !== 'string' || buildId === '') throw new Error('The builder image build has no build id (the start handler returned none)');
  const { builds = [] } = await codebuild.batchGetBuilds({ ids: [buildId] });
  const build = builds.find(candidate => candidate.id === buildId);
  if (!build) throw new Error(`The builder image build ${buildId} was not found in CodeBuild`);
  const status = build.buildStatus ?? 'IN_PROGRESS';
  if (status === 'IN_PROGRESS') return { IsComplete: false };
  if (status === 'SUCCEEDED') return { IsComplete: true };
  throw new Error(failureReason(buildId, status, build));
}

/** CloudFormation shows at most a few KB of a reason; the log link must survive. */
const MAX_DETAIL = 1500;

function failureReason(buildId: string, status: string, build: BuildView): string {
  const failed = (build.phases ?? []).find(phase => phase.phaseStatus !== undefined && phase.phaseStatus !== 'SUCCEEDED');
  const messages = (failed?.contexts ?? []).map(context => [context.statusCode, context.message].filter(Boolean).join(': ')).filter(Boolean);
  let detail = failed ? ` in phase ${failed.phaseType ?? 'unknown'}` : '';
  if (messages.length > 0) detail += `: ${messages.join('; ')}`;
  if (detail.length > MAX_DETAIL) detail = `${detail.slice(0, MAX_DETAIL)}...`;
  const logs = build.logs?.deepLink ? ` Logs: ${build.logs.deepLink}` : '';
  return `The builder image build ${buildId} ${status}${detail}.${logs}`;
}

function readProperties(properties: Record<string, unknown>): ImageBuildProperties {
  const read = (name: keyof ImageBuildProperties, pattern: RegExp): string => {
    const value = properties[name];
    if (typeof value !== 'string' || !pattern.test(value)) {
      throw new Error(`Image build: property ${name} ${JSON.stringify(value)?.slice(0, 300) ?? 'undefined'} is not valid`);
    }
    return value;
  };
  return {
    ProjectName: read('ProjectName', PROJECT_NAME),
    RepositoryUri: read('RepositoryUri', REPOSITORY_URI),
    ImageTag: read('ImageTag', TAG),
  };
}
