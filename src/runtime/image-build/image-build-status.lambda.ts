import type { CdkCustomResourceIsCompleteEvent } from 'aws-lambda';
import { CompletionResult, imageBuildComplete } from './image-build';
import { codeBuildApi } from './image-build-client';

const codebuild = codeBuildApi();

/** Custom resource (Provider framework isComplete): has the builder image's build finished? Throws with its reason if it failed. */
export async function handler(event: CdkCustomResourceIsCompleteEvent): Promise<CompletionResult> {
  return imageBuildComplete(event, codebuild);
}
