import type { CdkCustomResourceEvent } from 'aws-lambda';
import { StartResult, startImageBuild } from './image-build';
import { codeBuildApi } from './image-build-client';
import { logJson } from '../handlers/json-log';

const codebuild = codeBuildApi();

/** Custom resource (Provider framework onEvent): starts the builder image's CodeBuild build. */
export async function handler(event: CdkCustomResourceEvent): Promise<StartResult> {
  const result = await startImageBuild(event, codebuild);
  logJson({ message: 'image build', request: event.RequestType, image: result.PhysicalResourceId, build: result.Data?.BuildId });
  return result;
}
