import { keysOf } from '../runtime/core/config-keys';
import { ValidationIssue } from '../runtime/core/errors';
import { isPlainObject } from '../runtime/core/plain-object';
import { FrameworkConfig, FrameworkKind } from '../runtime/core/types';
import { unknownKeyIssues } from '../runtime/core/unknown-keys';

/** Commands of a custom deploy framework, each an argument vector (never a shell string). */
export interface CustomFrameworkCommands {
  /**
   * Installs dependencies.
   * @default - the package manager detected from the lockfile (`npm ci`, `pnpm install --frozen-lockfile`, `yarn install --frozen-lockfile`)
   */
  readonly installCommand?: string[];
  /**
   * Runs after the tests, before deploying.
   * @default - no build step
   */
  readonly buildCommand?: string[];
  /** Deploys to the stage; the stage name is in `$STAGE`. */
  readonly deployCommand: string[];
  /** Removes the stage (teardown). */
  readonly removeCommand: string[];
  /**
   * Paths (relative to the repository) the deploy command needs and nothing else, such as
   * `['package.json', 'scripts', 'dist']`. They are stored after each healthy deploy, and a
   * rollback to that version runs `deployCommand` on them alone: no clone, install, test or build.
   * `node_modules` is never stored: a deploy command that needs it cannot use an artifact.
   * @default - no artifact: a rollback rebuilds the commit (shown as "rebuild" in the dashboard)
   */
  readonly artifactPaths?: string[];
}

const COMMAND_KEYS = keysOf<CustomFrameworkCommands>({
  installCommand: true, buildCommand: true, deployCommand: true, removeCommand: true, artifactPaths: true,
});

/**
 * How an environment's app is deployed. Without one, the build detects it from the
 * repository (sst.config.*, cdk.json, serverless.yml, template.yaml).
 *
 * @example
 * const dev = DeploymentEnvironment.development({ framework: DeployFramework.sst() });
 */
export class DeployFramework {
  /**
   * SST (v2 or v3): `sst deploy --stage <env>`.
   *
   * @example
   * const dev = DeploymentEnvironment.development({ framework: DeployFramework.sst() });
   */
  public static sst(): DeployFramework {
    return new DeployFramework({ kind: 'sst' });
  }

  /**
   * AWS CDK: `cdk deploy --all -c stage=<env>`.
   *
   * @example
   * const dev = DeploymentEnvironment.development({ framework: DeployFramework.cdk() });
   */
  public static cdk(): DeployFramework {
    return new DeployFramework({ kind: 'cdk' });
  }

  /**
   * Serverless Framework: `serverless deploy --stage <env>`.
   *
   * @example
   * const dev = DeploymentEnvironment.development({ framework: DeployFramework.serverless() });
   */
  public static serverless(): DeployFramework {
    return new DeployFramework({ kind: 'serverless' });
  }

  /**
   * AWS SAM: `sam build` and `sam deploy --config-env <env>`.
   *
   * @example
   * const dev = DeploymentEnvironment.development({ framework: DeployFramework.sam() });
   */
  public static sam(): DeployFramework {
    return new DeployFramework({ kind: 'sam' });
  }

  /**
   * Your own commands.
   *
   * @example
   * const framework = DeployFramework.custom({
   *   buildCommand: ['npm', 'run', 'build'],
   *   deployCommand: ['npm', 'run', 'deploy'],
   *   removeCommand: ['npm', 'run', 'remove'],
   *   artifactPaths: ['package.json', 'scripts', 'dist'],
   * });
   */
  public static custom(commands: CustomFrameworkCommands): DeployFramework {
    const framework = new DeployFramework({
      kind: 'custom',
      install: commands.installCommand && [...commands.installCommand],
      build: commands.buildCommand && [...commands.buildCommand],
      deploy: [...commands.deployCommand],
      remove: [...commands.removeCommand],
      artifact: commands.artifactPaths && [...commands.artifactPaths],
    });
    if (isPlainObject(commands)) framework.unknownKeys.push(...unknownKeyIssues(commands, COMMAND_KEYS, ''));
    return framework;
  }

  /** `sst`, `cdk`, `serverless`, `sam` or `custom`. */
  public readonly kind: string;
  private readonly config: FrameworkConfig;
  /** Keys of the commands no one reads (plain JavaScript callers), named when the environment is added. */
  private readonly unknownKeys: ValidationIssue[] = [];

  private constructor(config: FrameworkConfig) {
    this.kind = config.kind satisfies FrameworkKind;
    this.config = config;
  }

  /** @internal */
  public _toConfig(): FrameworkConfig {
    return this.config;
  }

  /** @internal unknown keys of the custom commands, paths relative to the framework */
  public _unknownKeys(): ValidationIssue[] {
    return [...this.unknownKeys];
  }
}
