import { BatchGetBuildsCommand, CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
import { ImageBuildCodeBuild } from './image-build';

/** The CodeBuild calls of the image build custom resource, on AWS SDK v3. */
export function codeBuildApi(client: CodeBuildClient = new CodeBuildClient({})): ImageBuildCodeBuild {
  return {
    startBuild: input => client.send(new StartBuildCommand(input)),
    batchGetBuilds: input => client.send(new BatchGetBuildsCommand(input)),
  };
}
