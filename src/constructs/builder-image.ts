import * as path from 'path';
import { Token } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { CodeBuildContainerImage } from './private/codebuild-image';
import { DockerAssetImage } from './private/docker-asset-image';
import { printable } from '../runtime/core/names';

/** The default image's build context, shipped in this package: the Dockerfile and the builder program. */
const BUILDER_DIRECTORY = path.join(__dirname, '../../assets/builder');

/** Options of `BuilderImage.fromRegistry`. */
export interface BuilderImageRegistryOptions {
  /**
   * Credentials of a private registry: a Secrets Manager secret whose value is the JSON
   * `{"username": "...", "password": "..."}`. The task's execution role may read it (and
   * nothing else does); ECS uses it to pull the image.
   * @default - the image is pulled without credentials (a public image)
   */
  readonly credentials?: secretsmanager.ISecret;
}

/** Options of `BuilderImage.fromCodeBuild`. */
export interface BuilderImageCodeBuildOptions {
  /**
   * Size of the CodeBuild machine that builds the image (it is billed per build minute).
   * @default codebuild.ComputeType.SMALL
   */
  readonly computeType?: codebuild.ComputeType;

  /**
   * How long CloudWatch keeps the image builds' logs and the logs of the functions that start
   * and watch them.
   * @default - the build server's `logRetention` (in a TrellisPipeline, its `logRetention`: one month unless set)
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The container image every build runs in. Which to choose:
 *
 * - `BuilderImage.fromAsset()` (the default): Trellis's own image, built by `cdk deploy` with
 *   Docker on the deploying machine and pushed as a CDK asset. The fastest when Docker is there;
 *   `cdk deploy` fails without it (synthesis does not need it, and warns when it finds no Docker client).
 * - `BuilderImage.fromCodeBuild()`: the same image built inside your account during the
 *   deployment (CodeBuild), for machines and CI runners without Docker. The first deployment
 *   takes a few minutes more, as does each one after an upgrade of trellis-cdk changes the
 *   image; CodeBuild bills those build minutes.
 * - `BuilderImage.fromEcrRepository()` or `fromRegistry()`: an image of your own, for other
 *   toolchains; you build and push it.
 *
 * The default image holds Node 22 with npm, pnpm and yarn, the CDK and Serverless CLIs,
 * python3 with uv and the SAM CLI, and git.
 *
 * An image of your own (for Go, Java, Rust or other toolchains) must be built FROM the default
 * image of the same trellis-cdk version, adding tools and changing nothing else. The default
 * image holds the Trellis builder program (`/opt/trellis/builder.js`, which must match the
 * construct's version), runs it as root under tini (`ENTRYPOINT`, `CMD`), and names the
 * unprivileged user the app's commands run as (`TRELLIS_APP_UID`, `TRELLIS_APP_GID`,
 * `TRELLIS_APP_HOME`, the `/workspace` directory); without that user the app's commands would
 * run as root, beside the builder's credentials. So keep `USER`, `ENTRYPOINT`, `CMD`,
 * `WORKDIR` and those variables as they are, and end with the default image's last
 * hardening step, so the app's user cannot gain another uid through a setuid program:
 *
 * ```sh
 * # Where Docker runs, for the trellis-cdk version you deploy (builds run on linux/amd64):
 * docker build --platform linux/amd64 -t trellis-builder:<version> node_modules/trellis-cdk/assets/builder
 * ```
 *
 * ```dockerfile
 * FROM trellis-builder:<version>
 * COPY --from=golang:1.23-bookworm /usr/local/go /usr/local/go
 * ENV PATH=/usr/local/go/bin:$PATH
 * RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} + || true
 * ```
 *
 * Push it to a repository and choose it with `fromEcrRepository` or `fromRegistry`; build and
 * push it again whenever you upgrade trellis-cdk.
 *
 * @example
 * const builders = ecr.Repository.fromRepositoryName(stack, 'Builders', 'trellis-builder');
 * new TrellisPipeline(stack, 'Trellis', {
 *   buildServer: { image: BuilderImage.fromEcrRepository(builders, 'trellis-1.4.0-go1.23') },
 * });
 */
export class BuilderImage {
  /**
   * The default image: Trellis's own Dockerfile and builder program (shipped in this package
   * under `assets/builder`), built as a Docker image asset when you deploy. Synthesis needs no
   * Docker; `cdk deploy` does, and synthesis warns (`trellis-cdk:builderImageNeedsDocker`) when
   * no Docker client is on the PATH. Without Docker, use `fromCodeBuild()`.
   *
   * @example
   * new TrellisPipeline(stack, 'Trellis', {
   *   buildServer: { image: BuilderImage.fromAsset() },
   * });
   */
  public static fromAsset(): BuilderImage {
    return new BuilderImage(new DockerAssetImage(BUILDER_DIRECTORY));
  }

  /**
   * The default image (the same Dockerfile and builder program as `fromAsset`), built inside the
   * account during the deployment, so `cdk deploy` needs no Docker: the folder goes up as a plain
   * S3 asset, a CodeBuild project runs `docker build` for linux/amd64 and pushes to an ECR
   * repository of its own (scanned on push, the newest few images kept, removed with the stack),
   * and the deployment waits for it; a failed build fails the deployment with the build's reason
   * and a link to its log. The image is built again only when its content changes (its tag is
   * the content's hash).
   *
   * The first deployment takes a few minutes more than with `fromAsset`; CodeBuild bills the
   * build minutes.
   *
   * @example
   * new TrellisPipeline(stack, 'Trellis', {
   *   applications: [{ name: 'shop', repository: 'acme/shop' }],
   *   buildServer: { image: BuilderImage.fromCodeBuild() },
   * });
   */
  public static fromCodeBuild(options: BuilderImageCodeBuildOptions = {}): BuilderImage {
    return new BuilderImage(new CodeBuildContainerImage(BUILDER_DIRECTORY, options));
  }

  /**
   * An image from Docker Hub or another registry, by name (built FROM the default image, see
   * the class).
   *
   * @param name the image reference, `[registry/]repository[:tag][@digest]`, e.g.
   *   `ghcr.io/acme/trellis-builder:1.4.0-go1.23`
   *
   * @example
   * const image = BuilderImage.fromRegistry('ghcr.io/acme/trellis-builder:1.4.0', {
   *   credentials: secretsmanager.Secret.fromSecretNameV2(stack, 'GhcrToken', 'ghcr/pull'),
   * });
   */
  public static fromRegistry(name: string, options: BuilderImageRegistryOptions = {}): BuilderImage {
    checkImageName(name);
    return new BuilderImage(ecs.ContainerImage.fromRegistry(name, { credentials: options.credentials }));
  }

  /**
   * An image from an ECR repository (built FROM the default image, see the class). The
   * task's execution role may pull from that repository.
   *
   * @param tag a tag, or a digest (`sha256:<hex>`)
   * @default 'latest'
   *
   * @example
   * const builders = ecr.Repository.fromRepositoryName(stack, 'Builders', 'trellis-builder');
   * const image = BuilderImage.fromEcrRepository(builders, 'trellis-1.4.0-go1.23');
   */
  public static fromEcrRepository(repository: ecr.IRepository, tag: string = 'latest'): BuilderImage {
    checkTagOrDigest(tag);
    return new BuilderImage(ecs.ContainerImage.fromEcrRepository(repository, tag));
  }

  private constructor(private readonly containerImage: ecs.ContainerImage) {}

  /**
   * The image for the build task's container; ECS grants the execution role what pulling it needs
   * when the container is added. An image built in the account keeps its logs `logRetention`
   * unless its own options say otherwise.
   * @internal
   */
  public _bind(logRetention?: logs.RetentionDays): ecs.ContainerImage {
    return this.containerImage instanceof CodeBuildContainerImage ? this.containerImage.withDefaultLogRetention(logRetention) : this.containerImage;
  }
}

// Docker's reference grammar (distribution/reference): an optional registry host[:port], path
// components of lower-case letters and digits with single separators, then an optional tag and digest.
const HOST_PART = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = `${HOST_PART}(?:\\.${HOST_PART})*(?::[0-9]+)?`;
const PATH_PART = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const TAG = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const IMAGE_NAME = new RegExp(`^(?:${HOST}/)?${PATH_PART}(?:/${PATH_PART})*(?::${TAG})?(?:@${DIGEST})?$`);
const TAG_OR_DIGEST = new RegExp(`^(?:${TAG}|${DIGEST})$`);
/** Docker's limit on a repository name (registry and path). */
const MAX_NAME = 255;

function checkImageName(name: string): void {
  if (Token.isUnresolved(name)) return;
  if (name === '') throw new Error('BuilderImage.fromRegistry: name must not be empty');
  const repository = name.replace(/@.*$/, '').replace(/:[^:/]*$/, '');
  if (!IMAGE_NAME.test(name) || repository.length > MAX_NAME) {
    throw new Error(`BuilderImage.fromRegistry: name '${printable(name)}' is not an image reference `
      + '([registry/]repository[:tag][@digest], lower-case repository, e.g. \'ghcr.io/acme/trellis-builder:1.4.0\')');
  }
}

function checkTagOrDigest(tag: string): void {
  if (Token.isUnresolved(tag)) return;
  if (!TAG_OR_DIGEST.test(tag)) {
    throw new Error(`BuilderImage.fromEcrRepository: tag '${printable(tag)}' is neither a tag (letters, digits, '_', '.', '-'; `
      + 'at most 128, not starting with \'.\' or \'-\') nor a digest (\'sha256:<hex>\')');
  }
}
