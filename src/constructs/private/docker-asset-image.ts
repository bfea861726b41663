import { existsSync } from 'fs';
import * as path from 'path';
import { Annotations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';

/** The id a user acknowledges the warning with (`Annotations.of(scope).acknowledgeWarning(id)`). */
export const NO_DOCKER_WARNING = 'trellis-cdk:builderImageNeedsDocker';

/**
 * The default builder image, a Docker image asset, which says at synthesis when no Docker client
 * is on this machine's PATH (nor at `CDK_DOCKER`): `cdk deploy` would fail to build it, and
 * `BuilderImage.fromCodeBuild()` builds it in the account instead.
 */
export class DockerAssetImage extends ecs.ContainerImage {
  private readonly image: ecs.ContainerImage;

  constructor(directory: string) {
    super();
    this.image = ecs.ContainerImage.fromAsset(directory);
  }

  public bind(scope: Construct, containerDefinition: ecs.ContainerDefinition): ecs.ContainerImageConfig {
    if (!dockerClientFound()) {
      Annotations.of(scope).addWarningV2(NO_DOCKER_WARNING, 'The builder image (BuilderImage.fromAsset(), the default) is built by `cdk deploy` '
        + `with Docker, and no '${process.env.CDK_DOCKER ?? 'docker'}' is on this machine's PATH. Deploy where Docker runs, or choose `
        + 'BuilderImage.fromCodeBuild() (buildServer.image) to build it inside the account during the deployment.');
    }
    return this.image.bind(scope, containerDefinition);
  }
}

/** Whether the Docker client `cdk deploy` runs (`CDK_DOCKER`, else `docker`) is an existing file, as a path or on PATH. */
export function dockerClientFound(env: NodeJS.ProcessEnv = process.env): boolean {
  const command = env.CDK_DOCKER || 'docker';
  if (command.includes('/') || command.includes(path.sep)) return existsSync(command);
  const extensions = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  return (env.PATH ?? '').split(path.delimiter).filter(Boolean)
    .some(directory => extensions.some(extension => existsSync(path.join(directory, command + extension))));
}
