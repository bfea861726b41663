/**
 * The builder image built in the account (BuilderImage.fromCodeBuild): what the construct writes
 * on its custom resource and CodeBuild project, and what the custom resource's handlers read and
 * return.
 */

/** The custom resource's properties, as the construct writes them (CloudFormation sends strings). */
export interface ImageBuildProperties {
  /** The CodeBuild project that builds and pushes the image. */
  readonly ProjectName: string;
  /** The ECR repository's URI (`<registry>/<name>`), the image's name without the tag. */
  readonly RepositoryUri: string;
  /** The tag to push: the hash of the source asset, so one content has one immutable tag. */
  readonly ImageTag: string;
}

/**
 * What the custom resource returns: `ImageUri` is what the task definition's container reads.
 * (A type, not an interface: the Provider framework's events carry it as a plain record.)
 */
export type ImageBuildData = {
  readonly ImageUri: string;
  readonly BuildId?: string;
};

/** The build's variable that names the tag (the buildspec pushes `$REPOSITORY_URI:$IMAGE_TAG`). */
export const IMAGE_TAG_VARIABLE = 'IMAGE_TAG';
